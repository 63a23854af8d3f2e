import { join, resolve } from 'node:path';

import { buildCardSet } from './build-set.ts';
import { SET_ID_PATTERN, type SetEntry } from './config-schema.ts';
import { SetError } from './errors.ts';
import { fileSignature } from './file-signature.ts';
import { readSetsConfig, SETS_CONFIG_FILE, type SetsConfig } from './sets-config.ts';
import type { CardSet, SetListing } from './types.ts';

// Sets change by editing files, without a restart: every call stats config.yaml and the CSVs it
// needs (cheap) and re-reads only what changed.

interface CachedSet {
  /** The entry it was built from (identity changes whenever config.yaml is re-read). */
  entry: SetEntry;
  csvSignature: string;
  result: { ok: true; set: CardSet } | { ok: false; error: SetError };
}

interface DirectoryCache {
  configSignature: string;
  config: SetsConfig;
  sets: Map<string, CachedSet>;
}

const caches = new Map<string, DirectoryCache>();

/** Every set in the directory that loads, plus one error per set that does not. */
export function listSets(setsDir: string): SetListing {
  const dir = resolve(setsDir);
  const cache = currentCache(dir);
  const listing: SetListing = { sets: [], errors: [] };
  for (const id of cache.config.entries.keys()) {
    const result = loadCached(dir, cache, id);
    if (result.ok) listing.sets.push(result.set);
    else listing.errors.push({ setId: id, message: result.error.message });
  }
  return listing;
}

/**
 * One set by id. A malformed id (`../x`) is BAD_USER_INPUT, an unknown one NOT_FOUND, a set whose
 * files are broken INVALID_SET — all as SetError.
 */
export function getSet(setsDir: string, setId: string): CardSet {
  const id = checkSetId(setId);
  const dir = resolve(setsDir);
  const result = loadCached(dir, currentCache(dir), id);
  if (!result.ok) throw result.error;
  return result.set;
}

/** The parsed sets/config.yaml (cached like the sets). */
export function getSetsConfig(setsDir: string): SetsConfig {
  return currentCache(resolve(setsDir)).config;
}

export function checkSetId(setId: string): string {
  if (!SET_ID_PATTERN.test(setId)) {
    throw new SetError(`set id ${JSON.stringify(setId.slice(0, 80))} is not valid: use lower-case letters, digits, "_" and "-"`, 'BAD_USER_INPUT');
  }
  return setId;
}

function currentCache(dir: string): DirectoryCache {
  const signature = fileSignature(join(dir, SETS_CONFIG_FILE));
  const cached = caches.get(dir);
  if (cached && cached.configSignature === signature) return cached;
  const fresh: DirectoryCache = { configSignature: signature, config: readSetsConfig(dir), sets: new Map() };
  // Sets whose entry (and the global themes) did not change keep their CSV cache.
  const sameThemes = JSON.stringify(cached?.config.themes) === JSON.stringify(fresh.config.themes);
  for (const [id, set] of sameThemes ? (cached?.sets ?? []) : []) {
    const entry = fresh.config.entries.get(id);
    if (entry?.ok && JSON.stringify(entry.entry) === JSON.stringify(set.entry)) fresh.sets.set(id, { ...set, entry: entry.entry });
  }
  caches.set(dir, fresh);
  return fresh;
}

function loadCached(dir: string, cache: DirectoryCache, id: string): CachedSet['result'] {
  const entryResult = cache.config.entries.get(id);
  if (!entryResult) throw new SetError(`no set "${id}" in ${join(dir, SETS_CONFIG_FILE)}`, 'NOT_FOUND', id);
  if (!entryResult.ok) return { ok: false, error: new SetError(entryResult.message, 'INVALID_SET', id) };

  const { entry } = entryResult;
  const csvSignature = fileSignature(resolve(dir, entry.csv_path));
  const cached = cache.sets.get(id);
  if (cached && cached.entry === entry && cached.csvSignature === csvSignature) return cached.result;

  let result: CachedSet['result'];
  try {
    result = { ok: true, set: buildCardSet(dir, id, entry, cache.config.themes) };
  } catch (error) {
    if (!(error instanceof SetError)) throw error;
    result = { ok: false, error };
  }
  cache.sets.set(id, { entry, csvSignature, result });
  return result;
}
