import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  parseSchedulerName,
  type SchedulerConfig,
} from '../../../server/engine/schedulers/index.ts';
import { expectClose, ReplayNoise } from './helpers.ts';

interface ScheduleCase {
  variant: string;
  scheduler: string;
  steps: number;
  timesteps: number[];
  sigmas: number[] | null;
  init_noise_sigma: number;
}
interface TrajectoryCase extends Omit<ScheduleCase, 'sigmas'> {
  start: number[];
  prev: number[][];
  pred: number[][];
  noise_draws: number;
}
interface Reference {
  variants: Record<string, SchedulerConfig>;
  schedules: ScheduleCase[];
  trajectories: TrajectoryCase[];
  noise: number[][];
}

// Written by tests/fixtures/schedulers/make_reference.py (independent numpy implementation).
const reference = JSON.parse(
  readFileSync(new URL('../../fixtures/schedulers/reference.json', import.meta.url), 'utf8'),
) as Reference;

/** The synthetic epsilon "model" of the reference script, applied to what the UNet would receive. */
function syntheticModel(modelInput: Float32Array, timestep: number): Float32Array {
  return modelInput.map((x, i) => 0.1 * x + 0.05 * Math.sin(timestep / 100 + i));
}

describe('schedules match the numpy reference', () => {
  it.each(reference.schedules.map((c) => [`${c.scheduler} ${c.variant} ${c.steps} steps`, c] as const))(
    '%s',
    (_, c) => {
      const scheduler = createScheduler(parseSchedulerName(c.scheduler), reference.variants[c.variant]);
      scheduler.setTimesteps(c.steps);
      expectClose(scheduler.timesteps, c.timesteps, 1e-6);
      expect(scheduler.initNoiseSigma).toBeCloseTo(c.init_noise_sigma, 9);
      if (c.sigmas) {
        // Sigmas are private; check them through the Euler/DPM relation x0 = x − σ·ε on a unit sample.
        for (let k = 0; k < c.steps; k++) {
          const sample = Float32Array.of(1);
          const epsilon = Float32Array.of(1);
          const input = scheduler.scaleModelInput(sample, k);
          if (c.scheduler.startsWith('euler')) {
            expectClose(input, [1 / Math.sqrt(c.sigmas[k] ** 2 + 1)], 1e-6, 1e-7);
            const { predOriginalSample } = scheduler.step(epsilon, k, sample, new ReplayNoise([[0]]));
            expectClose(predOriginalSample, [1 - c.sigmas[k]], 1e-6, 1e-6);
          } else {
            const { predOriginalSample } = scheduler.step(epsilon, k, sample);
            // VP form: x0 = (x − σ_vp ε) / α = √(σ²+1) − σ.
            expectClose(predOriginalSample, [Math.sqrt(c.sigmas[k] ** 2 + 1) - c.sigmas[k]], 1e-6, 1e-6);
          }
        }
      }
    },
  );
});

describe('trajectories match the numpy reference', () => {
  it.each(reference.trajectories.map((c) => [`${c.scheduler} ${c.variant} ${c.steps} steps`, c] as const))(
    '%s',
    (_, c) => {
      const scheduler = createScheduler(parseSchedulerName(c.scheduler), reference.variants[c.variant]);
      scheduler.setTimesteps(c.steps);
      expect(scheduler.initNoiseSigma).toBeCloseTo(c.init_noise_sigma, 9);
      const noise = new ReplayNoise(reference.noise);
      let sample: Float32Array = Float32Array.from(c.start);
      for (let k = 0; k < c.steps; k++) {
        const modelOutput = syntheticModel(scheduler.scaleModelInput(sample, k), scheduler.timesteps[k]);
        const result = scheduler.step(modelOutput, k, sample, noise);
        expectClose(result.predOriginalSample, c.pred[k], 1e-5, 1e-6);
        expectClose(result.prevSample, c.prev[k], 1e-5, 1e-6);
        sample = result.prevSample;
      }
      expect(noise.draws).toBe(c.noise_draws);
    },
  );
});
