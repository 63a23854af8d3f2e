import { parseSchedulerConfig, type SchedulerConfig } from './config.ts';
import { DdimScheduler } from './ddim.ts';
import { DpmSolverPlusPlus2M } from './dpmpp-2m.ts';
import { EulerAncestralScheduler } from './euler-ancestral.ts';
import { EulerScheduler } from './euler.ts';
import { LcmScheduler } from './lcm.ts';
import type { SchedulerName } from './names.ts';
import { resolveSettings } from './settings.ts';
import type { Scheduler } from './types.ts';

export { parseSchedulerConfig, type SchedulerConfig } from './config.ts';
export { SCHEDULER_NAMES, isDeterministic, parseSchedulerName, type SchedulerName } from './names.ts';
export type { NoiseSource, Scheduler, StepResult } from './types.ts';

/**
 * Builds a scheduler from the model's `scheduler_config.json`, like diffusers' `<Class>.from_config`: keys the
 * class knows override its defaults (e.g. DDIM defaults to leading spacing, clip_sample and set_alpha_to_one true;
 * DPM++ and Euler to linspace). The name fixes the algorithm; solver keys in the config (algorithm_type,
 * solver_order, use_karras_sigmas, …) do not change it.
 */
export function createScheduler(name: SchedulerName, config: SchedulerConfig): Scheduler {
  const parsed = parseSchedulerConfig(config);
  switch (name) {
    case 'dpmpp_2m':
    case 'dpmpp_2m_karras':
      return new DpmSolverPlusPlus2M(
        name,
        resolveSettings(parsed, { timestepSpacing: 'linspace', setAlphaToOne: true, clipSample: false }),
      );
    case 'euler':
      return new EulerScheduler(
        resolveSettings(parsed, { timestepSpacing: 'linspace', setAlphaToOne: true, clipSample: false }),
      );
    case 'euler_a':
      return new EulerAncestralScheduler(
        resolveSettings(parsed, { timestepSpacing: 'linspace', setAlphaToOne: true, clipSample: false }),
      );
    case 'ddim':
      return new DdimScheduler(
        resolveSettings(parsed, { timestepSpacing: 'leading', setAlphaToOne: true, clipSample: true }),
      );
    case 'lcm':
      return new LcmScheduler(
        resolveSettings(parsed, { timestepSpacing: 'leading', setAlphaToOne: true, clipSample: false }),
      );
    default: {
      const unknown: never = name;
      throw new RangeError(`Unknown scheduler ${JSON.stringify(unknown)}`);
    }
  }
}
