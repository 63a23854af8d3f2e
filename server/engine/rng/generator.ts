export type RngName = 'torch' | 'numpy' | 'nv';

export const RNG_NAMES: readonly RngName[] = ['torch', 'numpy', 'nv'];

/** A seeded source of standard-normal float32 noise. Stateful: each call continues the same stream. */
export interface NoiseGenerator {
  readonly name: RngName;
  readonly seed: bigint;
  randn(count: number): Float32Array;
}

export function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`randn count must be a non-negative integer, got ${count}`);
  }
}
