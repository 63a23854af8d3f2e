import { interpolate } from './noise-schedule.ts';
import type { SchedulerSettings } from './settings.ts';
import { leadingTimesteps, linspace, trailingTimesteps } from './timesteps.ts';

export interface EulerSchedule {
  timesteps: number[];
  /** VE σ per step (linearly interpolated in t), plus the final 0. */
  sigmas: number[];
  initNoiseSigma: number;
}

/** Timesteps and σ ladder shared by diffusers' EulerDiscrete and EulerAncestralDiscrete schedulers. */
export function eulerSchedule(settings: SchedulerSettings, trainSigmas: Float64Array, steps: number): EulerSchedule {
  const n = settings.numTrainTimesteps;
  let timesteps: number[];
  if (settings.timestepSpacing === 'linspace') {
    timesteps = linspace(0, n - 1, steps).reverse();
  } else if (settings.timestepSpacing === 'leading') {
    timesteps = leadingTimesteps(steps, Math.floor(n / steps), settings.stepsOffset);
  } else {
    timesteps = trailingTimesteps(n, steps);
  }
  const sigmas = timesteps.map((t) => interpolate(trainSigmas, t));
  const maxSigma = Math.max(...sigmas);
  // diffusers: the VE sample starts at σ_max for linspace/trailing but at √(σ_max² + 1) for leading.
  const initNoiseSigma = settings.timestepSpacing === 'leading' ? Math.sqrt(maxSigma * maxSigma + 1) : maxSigma;
  return { timesteps, sigmas: [...sigmas, 0], initNoiseSigma };
}

/** The UNet sees the VP sample x / √(σ² + 1). */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const scale = 1 / Math.sqrt(sigma * sigma + 1);
  const scaled = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) scaled[i] = sample[i] * scale;
  return scaled;
}
