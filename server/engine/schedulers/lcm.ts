import { assertSameLength, assertStepCount, assertStepIndex, drawNoise } from './checks.ts';
import { alphasCumprod } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import { linspace } from './timesteps.ts';
import type { NoiseSource, Scheduler, StepResult } from './types.ts';

const SIGMA_DATA = 0.5;

/**
 * Latent Consistency Model sampling (diffusers LCMScheduler). Timesteps are picked from the distilled
 * `original_inference_steps` schedule (timestep_spacing does not apply); each step predicts x0 with the
 * consistency boundary scalings and, except on the last step, re-noises it to the next timestep.
 */
export class LcmScheduler implements Scheduler {
  readonly name = 'lcm' as const;
  readonly initNoiseSigma = 1;
  private readonly cumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private schedule: number[] = [];

  constructor(private readonly settings: SchedulerSettings) {
    this.cumprod = alphasCumprod(settings);
    this.finalAlphaCumprod = settings.setAlphaToOne ? 1 : this.cumprod[0];
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number): void {
    const original = this.settings.originalInferenceSteps;
    const n = this.settings.numTrainTimesteps;
    if (original > n) {
      throw new RangeError(`${this.name}: original_inference_steps ${original} exceeds num_train_timesteps ${n}`);
    }
    assertStepCount(this.name, steps, Math.min(150, original));
    const k = Math.floor(n / original);
    const origin = Array.from({ length: original }, (_, i) => (original - i) * k - 1);
    this.schedule = linspace(0, original, steps, false).map((index) => origin[Math.floor(index)]);
  }

  /** LCM works on the VP sample directly: no scaling. Returns the input array itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    const steps = this.schedule.length;
    assertStepIndex(this.name, stepIndex, steps);
    assertSameLength(this.name, modelOutput, sample);
    const isLast = stepIndex === steps - 1;
    const count = sample.length;
    const fresh = isLast ? null : drawNoise(this.name, noise, count);

    const t = this.schedule[stepIndex];
    const previousT = isLast ? t : this.schedule[stepIndex + 1];
    const alpha = this.cumprod[t];
    const alphaPrev = previousT >= 0 ? this.cumprod[previousT] : this.finalAlphaCumprod;
    const scaled = t * this.settings.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (scaled * scaled + SIGMA_DATA ** 2);
    const cOut = scaled / Math.sqrt(scaled * scaled + SIGMA_DATA ** 2);
    const sqrtAlpha = Math.sqrt(alpha);
    const sqrtOneMinusAlpha = Math.sqrt(1 - alpha);
    const sqrtAlphaPrev = Math.sqrt(alphaPrev);
    const sqrtOneMinusAlphaPrev = Math.sqrt(1 - alphaPrev);
    const { clipSample, clipSampleRange } = this.settings;

    const denoised = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let x0 = (sample[i] - sqrtOneMinusAlpha * modelOutput[i]) / sqrtAlpha;
      if (clipSample) x0 = Math.min(clipSampleRange, Math.max(-clipSampleRange, x0));
      denoised[i] = cOut * x0 + cSkip * sample[i];
      prevSample[i] = fresh ? sqrtAlphaPrev * denoised[i] + sqrtOneMinusAlphaPrev * fresh[i] : denoised[i];
    }
    return { prevSample, predOriginalSample: denoised };
  }
}
