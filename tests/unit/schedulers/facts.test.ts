import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  isDeterministic,
  SCHEDULER_NAMES,
  type SchedulerConfig,
} from '../../../server/engine/schedulers/index.ts';
import { SD15_CONFIG } from './helpers.ts';

const withSpacing = (timestep_spacing: string, steps_offset = 0): SchedulerConfig => ({
  ...SD15_CONFIG,
  timestep_spacing,
  steps_offset,
});

function timestepsOf(name: (typeof SCHEDULER_NAMES)[number], config: SchedulerConfig, steps: number) {
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(steps);
  return [...scheduler.timesteps];
}

describe('known timestep facts', () => {
  it('linspace, 25 steps → 999, 959, …, 40 (DPM++)', () => {
    const timesteps = timestepsOf('dpmpp_2m', withSpacing('linspace'), 25);
    expect(timesteps).toHaveLength(25);
    expect(timesteps.slice(0, 3)).toEqual([999, 959, 919]);
    expect(timesteps.at(-1)).toBe(40);
  });

  it('LCM, 4 steps → 999, 759, 499, 259 whatever the spacing', () => {
    expect(timestepsOf('lcm', SD15_CONFIG, 4)).toEqual([999, 759, 499, 259]);
    expect(timestepsOf('lcm', withSpacing('trailing'), 4)).toEqual([999, 759, 499, 259]);
  });

  it.each(['dpmpp_2m', 'euler', 'euler_a', 'ddim'] as const)('trailing, 4 steps → 999, 749, 499, 249 (%s)', (name) => {
    expect(timestepsOf(name, withSpacing('trailing'), 4)).toEqual([999, 749, 499, 249]);
  });

  it('trailing gives exactly `steps` timesteps even where a float arange would give one more', () => {
    const timesteps = timestepsOf('ddim', withSpacing('trailing'), 61);
    expect(timesteps).toHaveLength(61);
    expect(Math.min(...timesteps)).toBeGreaterThanOrEqual(0);
  });

  it('SD1.5 config (leading, steps_offset 1) is honoured by every scheduler but LCM', () => {
    expect(timestepsOf('ddim', SD15_CONFIG, 25).slice(0, 2)).toEqual([961, 921]);
    expect(timestepsOf('euler', SD15_CONFIG, 25).at(-1)).toBe(1);
    // DPM++ leading divides by steps + 1: ⌊1000 / 26⌋ = 38.
    expect(timestepsOf('dpmpp_2m', SD15_CONFIG, 25).slice(0, 2)).toEqual([951, 913]);
  });

  it('Euler with linspace spacing passes fractional timesteps', () => {
    const timesteps = timestepsOf('euler', withSpacing('linspace'), 25);
    expect(timesteps[0]).toBe(999);
    expect(timesteps[1]).toBeCloseTo(957.375, 9);
    expect(timesteps.at(-1)).toBe(0);
  });

  it('Karras DPM++ starts at the top and ends at t = 0 with descending integer timesteps', () => {
    const timesteps = timestepsOf('dpmpp_2m_karras', SD15_CONFIG, 20);
    expect(timesteps[0]).toBe(999);
    expect(timesteps.at(-1)).toBe(0);
    expect(timesteps.every((t, i) => Number.isInteger(t) && (i === 0 || t < timesteps[i - 1]))).toBe(true);
  });
});

describe('class defaults follow diffusers when the config is silent', () => {
  const bare: SchedulerConfig = {
    num_train_timesteps: 1000,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
  };

  it('DDIM defaults to leading spacing, DPM++ and Euler to linspace', () => {
    expect(timestepsOf('ddim', bare, 4)).toEqual([750, 500, 250, 0]);
    expect(timestepsOf('dpmpp_2m', bare, 4)).toEqual([999, 749, 500, 250]);
    expect(timestepsOf('euler', bare, 4)).toEqual([999, 666, 333, 0]);
  });

  it('DDIM clips x0 to [-1, 1] by default and not when clip_sample is false', () => {
    const big = Float32Array.of(50);
    const zero = Float32Array.of(0);
    const clipped = createScheduler('ddim', bare);
    clipped.setTimesteps(4);
    expect(clipped.step(zero, 0, big).predOriginalSample[0]).toBe(1);
    const unclipped = createScheduler('ddim', { ...bare, clip_sample: false });
    unclipped.setTimesteps(4);
    expect(unclipped.step(zero, 0, big).predOriginalSample[0]).toBeGreaterThan(50);
  });

  it('Euler starts at σ_max for linspace and at √(σ_max² + 1) for leading', () => {
    const linspace = createScheduler('euler', bare);
    linspace.setTimesteps(10);
    const leading = createScheduler('euler', SD15_CONFIG);
    leading.setTimesteps(10);
    expect(linspace.initNoiseSigma).toBeCloseTo(14.6146, 3);
    // Leading 10 steps tops out at t = 901.
    expect(leading.initNoiseSigma).toBeGreaterThan(8);
    expect(leading.initNoiseSigma).toBeLessThan(linspace.initNoiseSigma);
    expect(createScheduler('ddim', bare).initNoiseSigma).toBe(1);
  });
});

describe('isDeterministic', () => {
  it('is false exactly for the schedulers that draw noise', () => {
    expect(SCHEDULER_NAMES.filter((name) => !isDeterministic(name))).toEqual(['euler_a', 'lcm']);
  });
});
