import { SetError } from './errors.ts';
import { checkSetId, getSetsConfig } from './set-store.ts';

/** Uniform in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** A small deterministic generator (mulberry32) for reproducible picks in tests. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A theme from the set's `themes` (else the global list in sets/config.yaml); without a set id, from
 * the global list. Unknown set → NOT_FOUND; no themes configured → NOT_FOUND.
 */
export function randomTheme(setsDir: string, setId?: string, random: RandomSource = Math.random): string {
  const config = getSetsConfig(setsDir);
  let themes = config.themes;
  if (setId !== undefined) {
    const entry = config.entries.get(checkSetId(setId));
    if (!entry) throw new SetError(`no set "${setId}"`, 'NOT_FOUND', setId);
    if (entry.ok && entry.entry.themes) themes = entry.entry.themes;
  }
  if (themes.length === 0) throw new SetError('sets/config.yaml lists no themes', 'NOT_FOUND', setId);
  const pick = Math.min(themes.length - 1, Math.floor(random() * themes.length));
  return themes[pick] as string;
}
