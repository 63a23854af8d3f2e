export type SchedulerName = 'dpmpp_2m' | 'dpmpp_2m_karras' | 'euler' | 'euler_a' | 'ddim' | 'lcm';

export const SCHEDULER_NAMES: readonly SchedulerName[] = Object.freeze([
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'euler',
  'euler_a',
  'ddim',
  'lcm',
] as const);

export function parseSchedulerName(value: unknown): SchedulerName {
  const match = SCHEDULER_NAMES.find((name) => name === value);
  if (match === undefined) {
    throw new RangeError(
      `Unknown scheduler ${JSON.stringify(value) ?? String(value)}; expected one of: ${SCHEDULER_NAMES.join(', ')}`,
    );
  }
  return match;
}

/** Ancestral samplers and LCM inject fresh noise between steps; the others are ODE solvers. */
export function isDeterministic(name: SchedulerName): boolean {
  return name !== 'euler_a' && name !== 'lcm';
}
