import { cephesLogf, cephesSinCosf, type SinCos } from './cephes-float.ts';
import { checkCount, type NoiseGenerator } from './generator.ts';
import { Mt19937 } from './mt19937.ts';

const f = Math.fround;
const TWO_PI_FLOAT = f(2 * Math.PI);
const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M53 = 2 ** -53;
/** At this many values and above torch fills float tensors 16 at a time (vectorised path). */
const BLOCK = 16;

/**
 * `torch.Generator().manual_seed(seed)` followed by `torch.randn(count, generator=g)` on the CPU in
 * float32, bit for bit (as torch 1.13 computes it on x86 CPUs with AVX2).
 *
 * torch keeps the Mersenne Twister seeded with the low 32 bits of the seed. Below 16 values each value
 * is a double-precision Box–Muller sample whose sine twin is cached in the generator for the next one;
 * from 16 values on, the tensor is first filled with float uniforms and then transformed in blocks of 16
 * (pairs i and i + 8) in float32, the last block redrawn when the count is not a multiple of 16.
 */
export class TorchCpuGenerator implements NoiseGenerator {
  readonly name = 'torch';
  private readonly engine: Mt19937;
  private cachedNormal: number | null = null;
  private readonly trig: SinCos = { sin: 0, cos: 0 };

  constructor(readonly seed: bigint) {
    this.engine = new Mt19937(Number(BigInt.asUintN(32, seed)));
  }

  randn(count: number): Float32Array {
    checkCount(count);
    const out = new Float32Array(count);
    if (count >= BLOCK) this.fillBlocks(out);
    else for (let i = 0; i < count; i++) out[i] = this.nextDoubleNormal();
    return out;
  }

  private fillBlocks(out: Float32Array): void {
    const count = out.length;
    for (let i = 0; i < count; i++) out[i] = this.nextFloatUniform();
    for (let start = 0; start + BLOCK <= count; start += BLOCK) this.boxMuller16(out, start);
    if (count % BLOCK !== 0) {
      const start = count - BLOCK;
      for (let i = start; i < count; i++) out[i] = this.nextFloatUniform();
      this.boxMuller16(out, start);
    }
  }

  private boxMuller16(data: Float32Array, start: number): void {
    const trig = this.trig;
    for (let j = start; j < start + BLOCK / 2; j++) {
      const radius = f(Math.sqrt(f(-2 * cephesLogf(f(1 - data[j])))));
      cephesSinCosf(f(TWO_PI_FLOAT * data[j + BLOCK / 2]), trig);
      // `+ 0` turns −0 into +0 as torch's final fmadd(n, std = 1, mean = 0) does.
      data[j] = f(radius * trig.cos) + 0;
      data[j + BLOCK / 2] = f(radius * trig.sin) + 0;
    }
  }

  /** torch's `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw. */
  private nextFloatUniform(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_M24;
  }

  /** torch's `uniform_real_distribution<double>(0, 1)`: the low 53 bits of two draws (first is high). */
  private nextDoubleUniform(): number {
    const high = this.engine.nextUint32() & 0x1fffff;
    const low = this.engine.nextUint32();
    return (high * 2 ** 32 + low) * TWO_POW_M53;
  }

  /** torch's `normal_distribution<double>` with the generator's cached second sample. */
  private nextDoubleNormal(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.nextDoubleUniform();
    const u2 = this.nextDoubleUniform();
    const radius = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}
