/**
 * Seeded weight values for forged models. Every tensor gets its own stream, derived from
 * (seed, tensor name), so a tensor's values do not depend on the order tensors are written in.
 * Uniform values scaled to a given standard deviation: ~10× faster than Box–Muller, which
 * matters for the 1.1 G values of the full preset.
 */

function hashName(seed: number, name: string): number {
  // FNV-1a over the name, mixed with the seed.
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** xorshift128 state seeded by splitmix32, so that nearby seeds give unrelated streams. */
export class TensorRandom {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  constructor(seed: number, name: string) {
    let s = hashName(seed, name);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.x = next() | 1;
    this.y = next();
    this.z = next();
    this.w = next();
  }

  /** Fills `out` with uniform values of mean 0 and standard deviation `std`. */
  fillUniform(out: Float32Array, std: number): void {
    const halfWidth = std * Math.sqrt(3);
    const scale = (2 * halfWidth) / 4294967296;
    let { x, y, z, w } = this;
    for (let i = 0; i < out.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      out[i] = w * scale - halfWidth;
    }
    this.x = x;
    this.y = y;
    this.z = z;
    this.w = w;
  }
}
