import type { SchedulerName } from './names.ts';

/** A source of standard-normal noise; the seeded generator in `server/engine/rng` satisfies it. */
export interface NoiseSource {
  randn(count: number): Float32Array;
}

export interface StepResult {
  prevSample: Float32Array;
  /** The scheduler's estimate of the clean latents (LCM: its boundary-condition "denoised" output). */
  predOriginalSample: Float32Array;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** Values passed to the UNet after `setTimesteps`; fractional for Euler with linspace spacing. */
  readonly timesteps: readonly number[];
  /** Initial latents are `randn · initNoiseSigma`. */
  readonly initNoiseSigma: number;
  /** Steps 1 … 150 (LCM: at most `original_inference_steps`), else RangeError. */
  setTimesteps(steps: number): void;
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** `noise` is required by euler_a and lcm. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): StepResult;
}
