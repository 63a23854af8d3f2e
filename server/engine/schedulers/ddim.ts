import { assertSameLength, assertStepCount, assertStepIndex } from './checks.ts';
import { alphasCumprod } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import { leadingTimesteps, linspace, roundHalfEven, trailingTimesteps } from './timesteps.ts';
import type { Scheduler, StepResult } from './types.ts';

/**
 * DDIM with η = 0 (diffusers DDIMScheduler). The previous timestep is always t − ⌊N/steps⌋, as in diffusers;
 * below 0 it uses ᾱ = 1 when `set_alpha_to_one` (the class default) else ᾱ_0, which leaves √(1 − ᾱ_0) of noise.
 */
export class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly initNoiseSigma = 1;
  private readonly cumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private schedule: number[] = [];
  private stride = 0;

  constructor(private readonly settings: SchedulerSettings) {
    this.cumprod = alphasCumprod(settings);
    this.finalAlphaCumprod = settings.setAlphaToOne ? 1 : this.cumprod[0];
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number): void {
    assertStepCount(this.name, steps);
    const n = this.settings.numTrainTimesteps;
    let timesteps: number[];
    if (this.settings.timestepSpacing === 'linspace') {
      timesteps = linspace(0, n - 1, steps).map(roundHalfEven).reverse();
    } else if (this.settings.timestepSpacing === 'leading') {
      timesteps = leadingTimesteps(steps, Math.floor(n / steps), this.settings.stepsOffset);
    } else {
      timesteps = trailingTimesteps(n, steps);
    }
    const outside = timesteps.find((t) => t < 0 || t >= n);
    if (outside !== undefined) {
      throw new RangeError(`${this.name}: timestep ${outside} is outside 0 … ${n - 1} (check steps_offset)`);
    }
    this.schedule = timesteps;
    this.stride = Math.floor(n / steps);
  }

  /** DDIM works on the VP sample directly: no scaling. Returns the input array itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepResult {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    assertSameLength(this.name, modelOutput, sample);
    const t = this.schedule[stepIndex];
    const previousT = t - this.stride;
    const alpha = this.cumprod[t];
    const alphaPrev = previousT >= 0 ? this.cumprod[previousT] : this.finalAlphaCumprod;
    const sqrtAlpha = Math.sqrt(alpha);
    const sqrtOneMinusAlpha = Math.sqrt(1 - alpha);
    const sqrtAlphaPrev = Math.sqrt(alphaPrev);
    const sqrtOneMinusAlphaPrev = Math.sqrt(1 - alphaPrev);
    const { clipSample, clipSampleRange } = this.settings;
    const count = sample.length;
    const predOriginalSample = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let x0 = (sample[i] - sqrtOneMinusAlpha * modelOutput[i]) / sqrtAlpha;
      if (clipSample) x0 = Math.min(clipSampleRange, Math.max(-clipSampleRange, x0));
      predOriginalSample[i] = x0;
      prevSample[i] = sqrtAlphaPrev * x0 + sqrtOneMinusAlphaPrev * modelOutput[i];
    }
    return { prevSample, predOriginalSample };
  }
}
