import type { NoiseSource } from './types.ts';

export const MAX_STEPS = 150;

export function assertStepCount(name: string, steps: number, max = MAX_STEPS): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new RangeError(`${name}: steps must be an integer from 1 to ${max}, got ${String(steps)}`);
  }
}

export function assertStepIndex(name: string, stepIndex: number, steps: number): void {
  if (steps === 0) throw new Error(`${name}: call setTimesteps before scaleModelInput or step`);
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps) {
    throw new RangeError(`${name}: step index must be an integer from 0 to ${steps - 1}, got ${String(stepIndex)}`);
  }
}

export function assertSameLength(name: string, modelOutput: Float32Array, sample: Float32Array): void {
  if (modelOutput.length !== sample.length) {
    throw new RangeError(
      `${name}: model output has ${modelOutput.length} values but the sample has ${sample.length}`,
    );
  }
}

export function drawNoise(name: string, noise: NoiseSource | undefined, count: number): Float32Array {
  if (!noise) throw new Error(`${name}: step needs a noise source (the seeded generator)`);
  const values = noise.randn(count);
  if (values.length !== count) throw new Error(`${name}: noise source returned ${values.length} values, wanted ${count}`);
  return values;
}
