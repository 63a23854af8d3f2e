import { checkCount, type NoiseGenerator } from './generator.ts';

const MUL_A = 0xd2511f53;
const MUL_B = 0xcd9e8d57;
const KEY_STEP_A = 0x9e3779b9;
const KEY_STEP_B = 0xbb67ae85;
const ROUNDS = 10;
const f = Math.fround;
/** The float32 scale factors AUTOMATIC1111 uses (2^-32 and 2^-32·2π, each rounded to float32). */
const UNIT = f(2.3283064e-10);
const UNIT_2PI = f(2.3283064e-10 * 6.2831855);

/**
 * High 32 bits of the 64-bit product of two uint32 values. Splitting `b` into 16-bit halves keeps every
 * intermediate below 2^53, so the doubles stay exact.
 */
function mulHigh(a: number, b: number): number {
  const low = a * (b & 0xffff);
  const high = a * (b >>> 16);
  return Math.floor((high + Math.floor(low / 65536)) / 65536);
}

/**
 * AUTOMATIC1111's "NV" source (`modules/rng_philox.py`), which imitates `torch.randn` on CUDA:
 * Philox 4×32-10 with the seed as key, counter (call offset, 0, element index, 0), and one Box–Muller
 * sine sample per element from the first two output words, computed in double precision.
 */
export class PhiloxNvGenerator implements NoiseGenerator {
  readonly name = 'nv';
  private offset = 0;
  private readonly keyLow: number;
  private readonly keyHigh: number;

  constructor(readonly seed: bigint) {
    this.keyLow = Number(BigInt.asUintN(32, seed));
    this.keyHigh = Number(BigInt.asUintN(32, seed >> 32n));
  }

  randn(count: number): Float32Array {
    checkCount(count);
    if (count > 2 ** 32) throw new RangeError(`the nv generator draws at most 2^32 values per call, got ${count}`);
    const out = new Float32Array(count);
    const offset = this.offset >>> 0;
    this.offset++;
    for (let i = 0; i < count; i++) {
      let c0 = offset, c1 = 0, c2 = i, c3 = 0;
      let k0 = this.keyLow, k1 = this.keyHigh;
      for (let round = 0; round < ROUNDS; round++) {
        if (round > 0) {
          k0 = (k0 + KEY_STEP_A) >>> 0;
          k1 = (k1 + KEY_STEP_B) >>> 0;
        }
        const hiA = mulHigh(c0, MUL_A);
        const loA = Math.imul(c0, MUL_A) >>> 0;
        const hiB = mulHigh(c2, MUL_B);
        const loB = Math.imul(c2, MUL_B) >>> 0;
        c0 = (hiB ^ c1 ^ k0) >>> 0;
        c1 = loB;
        c2 = (hiA ^ c3 ^ k1) >>> 0;
        c3 = loA;
      }
      const u = c0 * UNIT + UNIT / 2;
      const v = c1 * UNIT_2PI + UNIT_2PI / 2;
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.sin(v);
    }
    return out;
  }
}
