import { assertSameLength, assertStepCount, assertStepIndex, drawNoise } from './checks.ts';
import { eulerSchedule, scaleBySigma } from './euler-schedule.ts';
import { alphasCumprod, trainingSigmas } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import type { NoiseSource, Scheduler, StepResult } from './types.ts';

/**
 * Euler ancestral (diffusers EulerAncestralDiscreteScheduler): an Euler step down to σ_down, then fresh noise
 * of size σ_up. Noise is drawn on every step (also the last, where σ_up = 0) so the generator advances as in diffusers.
 */
export class EulerAncestralScheduler implements Scheduler {
  readonly name = 'euler_a' as const;
  initNoiseSigma = 1;
  private readonly trainSigmas: Float64Array;
  private schedule: number[] = [];
  private sigmas: number[] = [];

  constructor(private readonly settings: SchedulerSettings) {
    this.trainSigmas = trainingSigmas(alphasCumprod(settings));
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number): void {
    assertStepCount(this.name, steps);
    const schedule = eulerSchedule(this.settings, this.trainSigmas, steps);
    this.schedule = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.initNoiseSigma = schedule.initNoiseSigma;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    return scaleBySigma(sample, this.sigmas[stepIndex]);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    assertSameLength(this.name, modelOutput, sample);
    const count = sample.length;
    const fresh = drawNoise(this.name, noise, count);
    const sigmaFrom = this.sigmas[stepIndex];
    const sigmaTo = this.sigmas[stepIndex + 1];
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom));
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
    const dt = sigmaDown - sigmaFrom;
    const predOriginalSample = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const x0 = sample[i] - sigmaFrom * modelOutput[i];
      predOriginalSample[i] = x0;
      prevSample[i] = sample[i] + ((sample[i] - x0) / sigmaFrom) * dt + fresh[i] * sigmaUp;
    }
    return { prevSample, predOriginalSample };
  }
}
