import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect } from 'vitest';
import { stringify } from 'yaml';
import { SetError } from '../../../server/sets/index.ts';

export const SHIPPED_SETS_DIR = new URL('../../../sets/', import.meta.url).pathname;

/** A small valid set entry; override fields per test. */
export function setEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Fruits',
    csv_path: 'fruits.csv',
    base_prompt: 'still life',
    prompt_template: '{fruit}, {colour} colour',
    style_suffix: 'oil painting',
    width: 512,
    height: 512,
    ...overrides,
  };
}

export const FRUITS_CSV = 'fruit,colour\nApple,red\nBanana,yellow\nPlum,purple\n';

/** Writes a sets directory (config.yaml + files) into a fresh temp folder; `cleanup` removes it. */
export function makeSetsDir(config: { themes?: string[]; sets: Record<string, unknown> } | string, files: Record<string, string | Buffer> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'imagineer-sets-'));
  writeFileSync(join(dir, 'config.yaml'), typeof config === 'string' ? config : stringify(config));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The SetError thrown by `fn`, failing the test when none is. */
export function setErrorOf(fn: () => unknown): SetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SetError);
    return error as SetError;
  }
  throw new Error('expected a SetError');
}
