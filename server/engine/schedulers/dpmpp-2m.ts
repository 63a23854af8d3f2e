import { assertSameLength, assertStepCount, assertStepIndex } from './checks.ts';
import { alphasCumprod, interpolate, karrasSigmas, sigmaToTimestep, trainingSigmas } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import { leadingTimesteps, linspace, roundHalfEven, trailingTimesteps } from './timesteps.ts';
import type { Scheduler, StepResult } from './types.ts';

/**
 * DPM-Solver++ (2M), as diffusers' DPMSolverMultistepScheduler with algorithm "dpmsolver++", solver order 2,
 * midpoint solver, epsilon prediction, final σ = 0 (so the last step is first order and lands on its x0 estimate).
 * With `karras`, the σ ladder is Karras' ρ = 7 ramp and the timesteps are the rounded inverse of it.
 */
export class DpmSolverPlusPlus2M implements Scheduler {
  readonly initNoiseSigma = 1;
  private readonly trainSigmas: Float64Array;
  private readonly logTrainSigmas: Float64Array;
  private schedule: number[] = [];
  /** VE σ per step, plus the final 0. */
  private sigmas: number[] = [];
  /** x0 estimate of the previous step, kept for the second-order update. */
  private previousX0: Float32Array | null = null;
  private previousIndex = -1;

  constructor(
    readonly name: 'dpmpp_2m' | 'dpmpp_2m_karras',
    private readonly settings: SchedulerSettings,
  ) {
    this.trainSigmas = trainingSigmas(alphasCumprod(settings));
    this.logTrainSigmas = this.trainSigmas.map(Math.log);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number): void {
    assertStepCount(this.name, steps);
    const n = this.settings.numTrainTimesteps;
    let timesteps: number[];
    if (this.settings.timestepSpacing === 'linspace') {
      timesteps = linspace(0, n - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
    } else if (this.settings.timestepSpacing === 'leading') {
      timesteps = leadingTimesteps(steps + 1, Math.floor(n / (steps + 1)), this.settings.stepsOffset).slice(0, steps);
    } else {
      timesteps = trailingTimesteps(n, steps);
    }
    let sigmas: number[];
    if (this.name === 'dpmpp_2m_karras') {
      sigmas = karrasSigmas(this.trainSigmas[0], this.trainSigmas[n - 1], steps);
      timesteps = sigmas.map((sigma) => roundHalfEven(sigmaToTimestep(sigma, this.logTrainSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpolate(this.trainSigmas, t));
    }
    this.schedule = timesteps;
    this.sigmas = [...sigmas, 0];
    this.previousX0 = null;
    this.previousIndex = -1;
  }

  /** DPM-Solver works on the VP sample directly: no scaling. Returns the input array itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    assertStepIndex(this.name, stepIndex, this.schedule.length);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepResult {
    const steps = this.schedule.length;
    assertStepIndex(this.name, stepIndex, steps);
    assertSameLength(this.name, modelOutput, sample);
    if (stepIndex !== 0 && this.previousIndex !== -1 && stepIndex !== this.previousIndex + 1) {
      throw new RangeError(
        `${this.name}: steps must run in order (multistep solver); expected ${this.previousIndex + 1}, got ${stepIndex}`,
      );
    }
    if (stepIndex === 0) this.previousX0 = null;

    const vp = (sigma: number) => {
      const alpha = 1 / Math.sqrt(sigma * sigma + 1);
      return { alpha, sigma: sigma * alpha, lambda: -Math.log(sigma) };
    };
    const current = vp(this.sigmas[stepIndex]);
    const next = vp(this.sigmas[stepIndex + 1]);

    const count = sample.length;
    const x0 = new Float32Array(count);
    for (let i = 0; i < count; i++) x0[i] = (sample[i] - current.sigma * modelOutput[i]) / current.alpha;

    const h = next.lambda - current.lambda;
    const sampleFactor = next.sigma / current.sigma;
    const x0Factor = -next.alpha * Math.expm1(-h);
    const prevSample = new Float32Array(count);
    const previous = this.previousX0;
    const isLast = stepIndex === steps - 1;
    if (previous && this.previousIndex === stepIndex - 1 && !isLast) {
      // Second-order multistep (midpoint): D0 + ½·D1 with D1 = (m0 − m1) / r0.
      const hPrevious = current.lambda - vp(this.sigmas[stepIndex - 1]).lambda;
      const halfOverR0 = (0.5 * h) / hPrevious;
      for (let i = 0; i < count; i++) {
        const d = x0[i] + halfOverR0 * (x0[i] - previous[i]);
        prevSample[i] = sampleFactor * sample[i] + x0Factor * d;
      }
    } else {
      for (let i = 0; i < count; i++) prevSample[i] = sampleFactor * sample[i] + x0Factor * x0[i];
    }

    const history = previous && previous.length === count ? previous : new Float32Array(count);
    history.set(x0);
    this.previousX0 = history;
    this.previousIndex = stepIndex;
    return { prevSample, predOriginalSample: x0 };
  }
}
