import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  batchDirectoryName,
  createBatchDirectory,
  formatBatchTimestamp,
  itemFileStem,
  manifestFromPlan,
  planBatch,
  SetError,
  writeBatchManifest,
} from '../../../server/sets/index.ts';
import { FRUITS_CSV, makeSetsDir, setEntry } from './temp-sets.ts';

const DATE = new Date(Date.UTC(2026, 0, 5, 7, 8, 9, 456));
let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((cleanup) => cleanup());
  cleanups = [];
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagineer-batch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('batch names', () => {
  it('use YYYYMMDD_HHMMSS in UTC', () => {
    expect(formatBatchTimestamp(DATE)).toBe('20260105_070809');
    expect(batchDirectoryName('card_deck', DATE)).toBe('card_deck_20260105_070809');
    expect(itemFileStem('20260105_070809', 'ace_of_spades')).toBe('20260105_070809_ace_of_spades');
    expect(itemFileStem(DATE, 'the_fool')).toBe('20260105_070809_the_fool');
  });

  it('refuse unsafe set ids and items', () => {
    expect(() => batchDirectoryName('../x', DATE)).toThrow(SetError);
    expect(() => itemFileStem('20260105_070809', '../x')).toThrow(SetError);
    expect(() => itemFileStem('2026-01-05', 'x')).toThrow(SetError);
  });

  it('a directory taken in the same second gets a suffix', () => {
    const out = join(tempDir(), 'outputs');
    const names = [1, 2, 3].map(() => createBatchDirectory(out, 'zodiac', DATE).name);
    expect(names).toEqual(['zodiac_20260105_070809', 'zodiac_20260105_070809_2', 'zodiac_20260105_070809_3']);
    expect(readdirSync(out).sort()).toEqual([...names].sort());
  });
});

describe('writeBatchManifest', () => {
  it('writes batch.json atomically with set, theme, seed, prompts, LoRAs, items and creation time', () => {
    const sets = makeSetsDir({ sets: { fruits: setEntry({ loras: [{ name: 'oil', weight: 0.8 }] }) } }, { 'fruits.csv': FRUITS_CSV });
    cleanups.push(sets.cleanup);
    const plan = planBatch({ setsDir: sets.dir, setId: 'fruits', theme: 'autumn', seed: 2n ** 63n, limit: 2 });
    const batch = createBatchDirectory(tempDir(), 'fruits', DATE);
    const path = writeBatchManifest(batch.path, { ...manifestFromPlan(plan, DATE), batchId: 'b1' });

    expect(readdirSync(batch.path)).toEqual(['batch.json']);
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written).toMatchObject({
      set: 'fruits',
      theme: 'autumn',
      seed: '9223372036854775808',
      loras: [{ name: 'oil', weight: 0.8 }],
      created: '2026-01-05T07:08:09.456Z',
      batchId: 'b1',
    });
    expect(written.items).toEqual([
      { index: 0, item: 'apple', prompt: 'still life, autumn, Apple, red colour, oil painting', negativePrompt: '', width: 512, height: 512, seed: '9223372036854775808', file: '20260105_070809_apple.png' },
      { index: 1, item: 'banana', prompt: 'still life, autumn, Banana, yellow colour, oil painting', negativePrompt: '', width: 512, height: 512, seed: '9223372036854775809', file: '20260105_070809_banana.png' },
    ]);
  });
});
