import { assertStepCount, assertStepIndex } from './checks.ts';
import { eulerSchedule, scaleBySigma } from './euler-schedule.ts';
import { alphasCumprod, trainingSigmas } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import type { SchedulerName } from './names.ts';
import type { NoiseSource, Scheduler, StepResult } from './types.ts';

/** The σ ladder, timesteps and input scaling that diffusers' EulerDiscrete and EulerAncestralDiscrete share. */
export abstract class SigmaLadderScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  initNoiseSigma = 1;
  private readonly trainSigmas: Float64Array;
  private schedule: number[] = [];
  protected sigmas: number[] = [];

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
    this.checkStep(stepIndex);
    return scaleBySigma(sample, this.sigmas[stepIndex]);
  }

  protected checkStep(stepIndex: number): void {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
  }

  abstract step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): StepResult;
}
