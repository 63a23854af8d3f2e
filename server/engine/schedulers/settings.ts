import type { SchedulerConfig } from './config.ts';

export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/** The numbers one scheduler runs on: its diffusers defaults overridden by the keys the config sets. */
export interface SchedulerSettings {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'linear' | 'scaled_linear';
  trainedBetas: readonly number[] | null;
  timestepSpacing: TimestepSpacing;
  stepsOffset: number;
  setAlphaToOne: boolean;
  clipSample: boolean;
  clipSampleRange: number;
  originalInferenceSteps: number;
  timestepScaling: number;
}

/** The defaults that differ between diffusers scheduler classes. */
export interface SchedulerDefaults {
  timestepSpacing: TimestepSpacing;
  setAlphaToOne: boolean;
  clipSample: boolean;
}

/** Mirrors diffusers' `from_config`: a key the config sets wins over the class default. `config` must be parsed. */
export function resolveSettings(config: SchedulerConfig, defaults: SchedulerDefaults): SchedulerSettings {
  const trained = config['trained_betas'];
  return {
    numTrainTimesteps: config.num_train_timesteps,
    betaStart: config.beta_start,
    betaEnd: config.beta_end,
    betaSchedule: config.beta_schedule as SchedulerSettings['betaSchedule'],
    trainedBetas: Array.isArray(trained) ? (trained as number[]) : null,
    timestepSpacing: (config.timestep_spacing as TimestepSpacing | undefined) ?? defaults.timestepSpacing,
    stepsOffset: config.steps_offset ?? 0,
    setAlphaToOne: config.set_alpha_to_one ?? defaults.setAlphaToOne,
    clipSample: config.clip_sample ?? defaults.clipSample,
    clipSampleRange: (config['clip_sample_range'] as number | undefined) ?? 1,
    originalInferenceSteps: (config['original_inference_steps'] as number | undefined) ?? 50,
    timestepScaling: (config['timestep_scaling'] as number | undefined) ?? 10,
  };
}
