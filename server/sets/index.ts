/**
 * Card sets: `{setsDir}/config.yaml` + one CSV per set → prompts and batch plans.
 *
 * Loading (cached; each call stats config.yaml and the CSVs and re-reads what changed, so new sets need no restart)
 *   listSets(setsDir): SetListing                  — every good set plus one { setId, message } per broken set
 *   getSet(setsDir, setId): CardSet                — one set; SetError BAD_USER_INPUT / NOT_FOUND / INVALID_SET
 *   getSetsConfig(setsDir): SetsConfig             — parsed config.yaml (global themes, entries)
 *   checkSetId(setId): string                      — throws SetError BAD_USER_INPUT unless ^[a-z0-9_-]+$
 *   readSetCsv(setId, file, maxBytes?): CsvTable   — one CSV (BOM, quotes, size/binary/UTF-8 checks)
 * Prompts
 *   buildItemPrompt(set, item, theme): BuiltPrompt — "base, theme, filled template, style" + tokenCount + warnings
 *   normalizeTheme(theme, setId?): string          — trimmed, ≤ 200 chars, one line, else SetError BAD_USER_INPUT
 *   joinPromptParts(parts): string                 — ", "-joined, empty parts skipped, no doubled spaces/commas
 *   fillTemplate(template, values) / templateColumns(template) — `{column}` placeholders
 * Batches
 *   planBatch({ setsDir, setId, theme, seed?, limit?, loras? }): BatchPlan — one PlannedItem per row (seed + i)
 *   formatBatchTimestamp(date): string             — YYYYMMDD_HHMMSS, UTC
 *   batchDirectoryName(setId, date): string        — {set}_{timestamp}
 *   createBatchDirectory(outputDir, setId, date): BatchDirectory — mkdir, `_2`, `_3` … when taken
 *   itemFileStem(timestamp | date, item): string   — {timestamp}_{item}
 *   manifestFromPlan(plan, created, timestamp?): BatchManifest
 *   writeBatchManifest(dir, manifest): string      — {dir}/batch.json, atomic; bigints as strings
 * Themes
 *   randomTheme(setsDir, setId?, random?): string  — from the set's themes, else the global list
 *   seededRandom(seed): RandomSource               — deterministic source for tests
 * Errors: SetError { code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'INVALID_SET' | 'INVALID_CONFIG', setId? }
 */
export {
  BATCH_MANIFEST_FILE,
  batchDirectoryName,
  createBatchDirectory,
  formatBatchTimestamp,
  itemFileStem,
  manifestFromPlan,
  writeBatchManifest,
  type BatchDirectory,
  type BatchManifest,
  type BatchManifestItem,
} from './batch-files.ts';
export { ITEM_OVERRIDE_COLUMNS } from './build-set.ts';
export { MAX_DIMENSION, MIN_DIMENSION, SET_ID_PATTERN, type LoraReference, type SetEntry } from './config-schema.ts';
export { SetError, type SetErrorCode } from './errors.ts';
export { planBatch, type BatchPlan, type PlanBatchOptions, type PlannedItem } from './plan-batch.ts';
export {
  buildItemPrompt,
  joinPromptParts,
  MAX_PROMPT_CHARS,
  MAX_THEME_CHARS,
  normalizeTheme,
  PROMPT_TOKEN_WARNING,
  type BuiltPrompt,
} from './prompt.ts';
export { randomTheme, seededRandom, type RandomSource } from './random-theme.ts';
export { MAX_CSV_BYTES, readSetCsv, type CsvRow, type CsvTable } from './read-csv.ts';
export { checkSetId, getSet, getSetsConfig, listSets } from './set-store.ts';
export { SETS_CONFIG_FILE, type SetsConfig } from './sets-config.ts';
export { slugify, uniqueSlugs } from './slug.ts';
export { fillTemplate, templateColumns } from './template.ts';
export type { CardSet, SetItem, SetListing, SetLoadError } from './types.ts';
