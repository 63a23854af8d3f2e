import { z } from 'zod';

/** A diffusers `scheduler_config.json`; keys we do not know are kept and ignored, as `from_config` does. */
export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: string;
  timestep_spacing?: string;
  steps_offset?: number;
  prediction_type?: string;
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  [key: string]: unknown;
}

// Features diffusers offers that change the math and that we do not implement: refuse them
// loudly rather than silently produce a different schedule.
const notImplemented = z.literal(false, { error: 'is not supported (only false or absent)' }).nullish();

const schedulerConfigSchema = z.looseObject({
  num_train_timesteps: z.number().int().min(2).max(100_000),
  beta_start: z.number().positive().lt(1),
  beta_end: z.number().positive().lt(1),
  beta_schedule: z.enum(['linear', 'scaled_linear']),
  trained_betas: z.array(z.number().positive().lt(1)).nullish(),
  timestep_spacing: z.enum(['linspace', 'leading', 'trailing']).optional(),
  steps_offset: z.number().int().min(0).optional(),
  prediction_type: z.enum(['epsilon']).optional(),
  set_alpha_to_one: z.boolean().optional(),
  clip_sample: z.boolean().optional(),
  clip_sample_range: z.number().positive().optional(),
  original_inference_steps: z.number().int().min(1).optional(),
  timestep_scaling: z.number().positive().optional(),
  timestep_type: z.enum(['discrete']).optional(),
  interpolation_type: z.enum(['linear']).optional(),
  thresholding: notImplemented,
  rescale_betas_zero_snr: notImplemented,
  use_exponential_sigmas: notImplemented,
  use_beta_sigmas: notImplemented,
  use_lu_lambdas: notImplemented,
  use_flow_sigmas: notImplemented,
  use_dynamic_shifting: notImplemented,
});

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Validates a parsed `scheduler_config.json`; throws an Error naming the file, the key and the bad value. */
export function parseSchedulerConfig(json: unknown, file = 'scheduler config'): SchedulerConfig {
  const result = schedulerConfigSchema.safeParse(json);
  if (result.success) {
    const config = result.data as SchedulerConfig;
    const betas = result.data.trained_betas;
    if (betas && betas.length !== config.num_train_timesteps) {
      throw new Error(
        `${file}: trained_betas has ${betas.length} values but num_train_timesteps is ${config.num_train_timesteps}`,
      );
    }
    return config;
  }
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.') || '(root)';
    const value = valueAt(json, issue.path);
    return `${key} = ${JSON.stringify(value) ?? 'undefined'}: ${issue.message}`;
  });
  throw new Error(`${file}: invalid scheduler config: ${problems.join('; ')}`);
}
