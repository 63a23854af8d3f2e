import type { LoraReference } from './config-schema.ts';
import { SetError } from './errors.ts';
import { buildItemPrompt, normalizeTheme } from './prompt.ts';
import { getSet } from './set-store.ts';
import type { CardSet } from './types.ts';

export interface PlanBatchOptions {
  setsDir: string;
  setId: string;
  theme: string;
  /** Item i gets seed + i (mod 2^64); a row's seed column wins. Without it, only rows with a seed column have one. */
  seed?: bigint;
  /** Only the first `limit` rows (1 … number of rows). */
  limit?: number;
  /** Replaces the set's LoRAs when given (an empty list means none). */
  loras?: LoraReference[];
}

export interface PlannedItem {
  index: number;
  /** Safe slug of the row, unique within the batch: ace_of_spades, the_fool, aries. */
  item: string;
  /** The unslugged name ("Ace of Spades"). */
  label: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  seed: bigint | null;
  tokenCount: number;
  warnings: string[];
}

export interface BatchPlan {
  set: CardSet;
  /** The trimmed theme ('' when none). */
  theme: string;
  seed: bigint | null;
  items: PlannedItem[];
  /** The request's LoRAs, else the set's; the caller checks the names against the LoRA library. */
  loras: LoraReference[];
}

const MAX_SEED = 2n ** 64n - 1n;

/** One prompt per row of the set; bad input is a SetError (BAD_USER_INPUT, NOT_FOUND, INVALID_SET). */
export function planBatch(options: PlanBatchOptions): BatchPlan {
  const set = getSet(options.setsDir, options.setId);
  const theme = normalizeTheme(options.theme, set.id);
  const seed = options.seed ?? null;
  if (seed !== null && (seed < 0n || seed > MAX_SEED)) {
    throw new SetError(`set "${set.id}": seed ${seed} must be within 0 … 2^64 - 1`, 'BAD_USER_INPUT', set.id);
  }
  const count = set.items.length;
  const limit = options.limit ?? count;
  if (!Number.isInteger(limit) || limit < 1 || limit > count) {
    throw new SetError(`set "${set.id}": limit ${limit} must be a whole number from 1 to ${count} (the set's rows)`, 'BAD_USER_INPUT', set.id);
  }

  const items = set.items.slice(0, limit).map((row, i): PlannedItem => {
    const { prompt, tokenCount, warnings } = buildItemPrompt(set, row, theme);
    return {
      index: row.index,
      item: row.item,
      label: row.label,
      prompt,
      negativePrompt: row.negativePrompt,
      width: row.width,
      height: row.height,
      seed: row.seed ?? (seed === null ? null : BigInt.asUintN(64, seed + BigInt(i))),
      tokenCount,
      warnings,
    };
  });
  return { set, theme, seed, items, loras: options.loras ?? set.loras };
}
