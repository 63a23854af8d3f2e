import { assertSameLength, assertStepCount, assertStepIndex } from './checks.ts';
import { eulerSchedule, scaleBySigma } from './euler-schedule.ts';
import { alphasCumprod, trainingSigmas } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import type { Scheduler, StepResult } from './types.ts';

/** Euler method on the probability-flow ODE in σ (diffusers EulerDiscreteScheduler, no churn). */
export class EulerScheduler implements Scheduler {
  readonly name = 'euler' as const;
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

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepResult {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    assertSameLength(this.name, modelOutput, sample);
    const sigma = this.sigmas[stepIndex];
    const dt = this.sigmas[stepIndex + 1] - sigma;
    const count = sample.length;
    const predOriginalSample = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const x0 = sample[i] - sigma * modelOutput[i];
      predOriginalSample[i] = x0;
      prevSample[i] = sample[i] + ((sample[i] - x0) / sigma) * dt;
    }
    return { prevSample, predOriginalSample };
  }
}
