import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LoraReference } from './config-schema.ts';
import { SetError } from './errors.ts';
import type { BatchPlan } from './plan-batch.ts';
import { checkSetId } from './set-store.ts';

export const BATCH_MANIFEST_FILE = 'batch.json';
const TIMESTAMP_PATTERN = /^\d{8}_\d{6}$/;
const ITEM_PATTERN = /^[a-z0-9_]+$/;

/** `YYYYMMDD_HHMMSS` in UTC. */
export function formatBatchTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-25T06:26:02.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** `{set}_{YYYYMMDD_HHMMSS}`. */
export function batchDirectoryName(setId: string, date: Date): string {
  return `${checkSetId(setId)}_${formatBatchTimestamp(date)}`;
}

/** `{YYYYMMDD_HHMMSS}_{item}`: the file name of one image without extension. */
export function itemFileStem(timestamp: string | Date, item: string): string {
  const stamp = typeof timestamp === 'string' ? timestamp : formatBatchTimestamp(timestamp);
  if (!TIMESTAMP_PATTERN.test(stamp)) throw new SetError(`timestamp "${stamp}" is not YYYYMMDD_HHMMSS`, 'BAD_USER_INPUT');
  if (!ITEM_PATTERN.test(item)) throw new SetError(`item "${item}" is not a slug (a-z, 0-9, _)`, 'BAD_USER_INPUT');
  return `${stamp}_${item}`;
}

export interface BatchDirectory {
  /** Absolute path, created. */
  path: string;
  /** `{set}_{timestamp}`, with `_2`, `_3`, … when that name was taken. */
  name: string;
  timestamp: string;
}

/** Creates `{outputDir}/{set}_{timestamp}`; a second batch in the same second gets a `_2` suffix, and so on. */
export function createBatchDirectory(outputDir: string, setId: string, date: Date): BatchDirectory {
  const base = batchDirectoryName(setId, date);
  mkdirSync(outputDir, { recursive: true });
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? base : `${base}_${n}`;
    const path = join(outputDir, name);
    try {
      mkdirSync(path); // not recursive: EEXIST tells us the name is taken, atomically
      return { path, name, timestamp: formatBatchTimestamp(date) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

export interface BatchManifestItem {
  index: number;
  item: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  seed: bigint | null;
  /** Image file name, when known. */
  file?: string;
  [key: string]: unknown;
}

export interface BatchManifest {
  set: string;
  theme: string;
  seed: bigint | null;
  loras: LoraReference[];
  items: BatchManifestItem[];
  created: Date;
  /** Anything else the caller records (batch id, model, steps, …). */
  [key: string]: unknown;
}

/** The manifest of a planned batch; image file names follow itemFileStem(timestamp, item). */
export function manifestFromPlan(plan: BatchPlan, created: Date, timestamp = formatBatchTimestamp(created)): BatchManifest {
  return {
    set: plan.set.id,
    setName: plan.set.name,
    theme: plan.theme,
    seed: plan.seed,
    loras: plan.loras,
    items: plan.items.map((item) => ({
      index: item.index,
      item: item.item,
      prompt: item.prompt,
      negativePrompt: item.negativePrompt,
      width: item.width,
      height: item.height,
      seed: item.seed,
      file: `${itemFileStem(timestamp, item.item)}.png`,
    })),
    created,
  };
}

/** Writes `{dir}/batch.json` atomically (temp file + rename); bigints as decimal strings, dates as ISO. Returns its path. */
export function writeBatchManifest(dir: string, manifest: BatchManifest): string {
  const target = join(dir, BATCH_MANIFEST_FILE);
  const temp = join(dir, `.${BATCH_MANIFEST_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const json = JSON.stringify(manifest, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
  try {
    writeFileSync(temp, `${json}\n`);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return target;
}
