import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { NoiseSource, SchedulerConfig } from '../../../server/engine/schedulers/index.ts';

export const SD15_CONFIG = JSON.parse(
  readFileSync(new URL('../../../server/engine/reference-sd15/scheduler/scheduler_config.json', import.meta.url), 'utf8'),
) as SchedulerConfig;

/** Replays fixed noise rows in order and counts how many were drawn. */
export class ReplayNoise implements NoiseSource {
  draws = 0;
  constructor(private readonly rows: readonly (readonly number[])[]) {}
  randn(count: number): Float32Array {
    const row = this.rows[this.draws++];
    if (!row || row.length !== count) throw new Error(`no noise row ${this.draws - 1} of ${count} values`);
    return Float32Array.from(row);
  }
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, absolute = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = relative * Math.abs(expected[i]) + absolute;
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      expect.fail(`element ${i}: ${actual[i]} differs from ${expected[i]} by more than ${tolerance}`);
    }
  }
}
