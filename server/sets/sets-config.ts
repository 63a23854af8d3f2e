import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { parseDocument } from 'yaml';

import { SET_ID_PATTERN, setEntrySchema, setsFileSchema, type SetEntry } from './config-schema.ts';
import { SetError } from './errors.ts';
import { describeIssues } from './zod-messages.ts';

export const SETS_CONFIG_FILE = 'config.yaml';
const MAX_CONFIG_BYTES = 1024 * 1024;

export type EntryResult = { ok: true; entry: SetEntry } | { ok: false; message: string };

export interface SetsConfig {
  /** Global themes for randomTheme. */
  themes: string[];
  /** Every key under `sets:`, in file order, with its validated entry or what is wrong with it. */
  entries: Map<string, EntryResult>;
}

/**
 * Parses `{setsDir}/config.yaml`. A missing, unreadable or malformed file is a SetError INVALID_CONFIG;
 * a bad set entry (or id) is recorded against that set only.
 */
export function readSetsConfig(setsDir: string): SetsConfig {
  const file = join(setsDir, SETS_CONFIG_FILE);
  const fail = (problem: string): never => {
    // Named relative to the sets folder: the message reaches API clients, who need no absolute paths.
    throw new SetError(`sets config ${basename(setsDir)}/${SETS_CONFIG_FILE}: ${problem}`, 'INVALID_CONFIG');
  };

  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) fail(`is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof SetError) throw error;
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }

  const document = parseDocument(text);
  if (document.errors.length > 0) fail(`is not valid YAML: ${document.errors[0]?.message ?? ''}`);
  const raw: unknown = document.toJS() ?? {};
  const outer = setsFileSchema.safeParse(raw);
  if (!outer.success) return fail(describeIssues(outer.error.issues, raw));

  const entries = new Map<string, EntryResult>();
  for (const [id, rawEntry] of Object.entries(outer.data.sets)) {
    entries.set(id, validateEntry(id, rawEntry));
  }
  return { themes: outer.data.themes, entries };
}

function validateEntry(id: string, rawEntry: unknown): EntryResult {
  if (!SET_ID_PATTERN.test(id)) {
    return { ok: false, message: `set "${id}": the id must match ${SET_ID_PATTERN} (lower-case letters, digits, "_" and "-")` };
  }
  const parsed = setEntrySchema.safeParse(rawEntry);
  if (!parsed.success) return { ok: false, message: `set "${id}" in ${SETS_CONFIG_FILE}: ${describeIssues(parsed.error.issues, rawEntry)}` };
  return { ok: true, entry: parsed.data };
}
