import { checkCount, type NoiseGenerator } from './generator.ts';
import { Mt19937 } from './mt19937.ts';

export const NUMPY_SEED_MAX = 2n ** 32n - 1n;

/**
 * `np.random.RandomState(seed).randn(count).astype(np.float32)`: numpy's legacy generator, the polar
 * Box–Muller method in double precision with one cached sample carried between calls.
 */
export class NumpyLegacyGenerator implements NoiseGenerator {
  readonly name = 'numpy';
  private readonly engine: Mt19937;
  private cachedGauss: number | null = null;

  constructor(readonly seed: bigint) {
    if (seed < 0n || seed > NUMPY_SEED_MAX) {
      throw new RangeError(`the numpy generator takes seeds in 0 … ${NUMPY_SEED_MAX}, got ${seed}`);
    }
    this.engine = new Mt19937(Number(seed));
  }

  randn(count: number): Float32Array {
    checkCount(count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.nextGauss();
    return out;
  }

  /** A double in [0, 1) from 53 random bits (27 + 26 from two draws). */
  private nextDouble(): number {
    const a = this.engine.nextUint32() >>> 5;
    const b = this.engine.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  private nextGauss(): number {
    if (this.cachedGauss !== null) {
      const cached = this.cachedGauss;
      this.cachedGauss = null;
      return cached;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2 * this.nextDouble() - 1;
      x2 = 2 * this.nextDouble() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const factor = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.cachedGauss = factor * x1;
    return factor * x2;
  }
}
