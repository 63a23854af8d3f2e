import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { getSet, listSets } from '../../../server/sets/index.ts';
import { FRUITS_CSV, makeSetsDir, setEntry } from './temp-sets.ts';

let cleanup = () => {};
afterEach(() => cleanup());

describe('sets reload without a restart', () => {
  it('a new CSV + config entry appears on the next call; edits and removals show too', () => {
    const made = makeSetsDir({ themes: ['night'], sets: { fruits: setEntry() } }, { 'fruits.csv': FRUITS_CSV });
    cleanup = made.cleanup;
    const configFile = join(made.dir, 'config.yaml');
    expect(listSets(made.dir).sets.map((set) => set.id)).toEqual(['fruits']);

    writeFileSync(join(made.dir, 'birds.csv'), 'bird\nRobin\nWren\n');
    const config = parse(readFileSync(configFile, 'utf8'));
    config.sets.birds = setEntry({ name: 'Birds', csv_path: 'birds.csv', prompt_template: 'a {bird}' });
    writeFileSync(configFile, stringify(config));
    expect(listSets(made.dir).sets.map((set) => set.id)).toEqual(['fruits', 'birds']);
    expect(getSet(made.dir, 'birds').items.map((item) => item.item)).toEqual(['robin', 'wren']);

    appendFileSync(join(made.dir, 'birds.csv'), 'Heron\n');
    expect(getSet(made.dir, 'birds').items.map((item) => item.item)).toEqual(['robin', 'wren', 'heron']);

    rmSync(join(made.dir, 'birds.csv'));
    const listing = listSets(made.dir);
    expect(listing.sets.map((set) => set.id)).toEqual(['fruits']);
    expect(listing.errors[0]?.message).toContain('birds.csv');
  });

  it('returns the cached set while nothing changed', () => {
    const made = makeSetsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': FRUITS_CSV });
    cleanup = made.cleanup;
    expect(getSet(made.dir, 'fruits')).toBe(getSet(made.dir, 'fruits'));
  });
});
