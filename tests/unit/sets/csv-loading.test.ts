import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { getSet, listSets, MAX_CSV_BYTES, readSetCsv } from '../../../server/sets/index.ts';
import { FRUITS_CSV, makeSetsDir, setEntry, setErrorOf } from './temp-sets.ts';

const QUOTED_FIXTURE = fileURLToPath(new URL('../../fixtures/sets/quoted_bom.csv', import.meta.url));

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((cleanup) => cleanup());
  cleanups = [];
});
function setsDir(...args: Parameters<typeof makeSetsDir>): string {
  const { dir, cleanup } = makeSetsDir(...args);
  cleanups.push(cleanup);
  return dir;
}

describe('readSetCsv', () => {
  it('parses quoted fields with embedded commas, quotes and newlines, a BOM, padded headers and blank lines', () => {
    const table = readSetCsv('fixture', QUOTED_FIXTURE);
    expect(table.columns).toEqual(['name', 'quote', 'line']);
    expect(table.rows.map((row) => row.values)).toEqual([
      { name: 'Smith, John', quote: 'He said "hi", then left', line: '1' },
      { name: 'Multi\nLine Name', quote: 'a, b\nc', line: '2' },
      { name: 'plain', quote: 'spaced', line: '3' },
    ]);
    expect(table.rows.map((row) => row.line)).toEqual([2, 3, 7]);
  });
});

describe('set loading errors name the set, file and problem', () => {
  it('a template column missing from the CSV', () => {
    const dir = setsDir({ sets: { fruits: setEntry({ prompt_template: '{fruit} with {texture}' }) } }, { 'fruits.csv': FRUITS_CSV });
    const error = setErrorOf(() => getSet(dir, 'fruits'));
    expect(error.code).toBe('INVALID_SET');
    expect(error.message).toContain('set "fruits"');
    expect(error.message).toContain('"{texture}"');
    expect(error.message).toContain('fruits.csv');
  });

  it('a CSV with a header and no rows', () => {
    const dir = setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': 'fruit,colour\n\n' });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toMatch(/set "fruits": fruits\.csv: has a header but no data rows/);
  });

  it('an empty CSV', () => {
    const dir = setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': '' });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toMatch(/set "fruits": fruits\.csv: is empty/);
  });

  it('binary content (NUL bytes)', () => {
    const binary = Buffer.concat([Buffer.from('fruit,colour\n'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a])]);
    const dir = setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': binary });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toMatch(/set "fruits": fruits\.csv: contains NUL bytes/);
  });

  it('invalid UTF-8', () => {
    const latin1 = Buffer.concat([Buffer.from('fruit,colour\nCr'), Buffer.from([0xe8]), Buffer.from('me,white\n')]);
    const dir = setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': latin1 });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toMatch(/set "fruits": fruits\.csv: is not valid UTF-8/);
  });

  it('10 MB of junk is refused by size', () => {
    const junk = Buffer.alloc(10 * 1024 * 1024, 'junk,');
    const dir = setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': junk });
    const error = setErrorOf(() => getSet(dir, 'fruits'));
    expect(error.message).toContain('set "fruits": fruits.csv');
    expect(error.message).toContain(`more than the ${MAX_CSV_BYTES}-byte limit`);
  });

  it('rows with the wrong number of fields, duplicate and blank headers', () => {
    const dir = setsDir(
      { sets: { ragged: setEntry({ csv_path: 'ragged.csv' }), dup: setEntry({ csv_path: 'dup.csv' }), blank: setEntry({ csv_path: 'blank.csv' }) } },
      { 'ragged.csv': 'fruit,colour\nApple,red,extra\n', 'dup.csv': 'fruit,colour,fruit\na,b,c\n', 'blank.csv': 'fruit,,colour\na,b,c\n' },
    );
    expect(setErrorOf(() => getSet(dir, 'ragged')).message).toMatch(/set "ragged": ragged\.csv: is not a valid CSV: .*line 2/);
    expect(setErrorOf(() => getSet(dir, 'dup')).message).toContain('header names column "fruit" twice');
    expect(setErrorOf(() => getSet(dir, 'blank')).message).toContain('header column 2 has no name');
  });

  it('a missing CSV file', () => {
    const dir = setsDir({ sets: { fruits: setEntry() } });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toMatch(/set "fruits": fruits\.csv: cannot be read \(ENOENT\)/);
  });

  it('config values: the message names the set, the key and the value', () => {
    const dir = setsDir({ sets: { fruits: setEntry({ width: 513, colour: 'red' }) } }, { 'fruits.csv': FRUITS_CSV });
    const error = setErrorOf(() => getSet(dir, 'fruits'));
    expect(error.code).toBe('INVALID_SET');
    expect(error.message).toContain('set "fruits"');
    expect(error.message).toContain('key "width": must be a multiple of 8 (got 513)');
    expect(error.message).toContain('unknown key "colour"');
  });

  it('a csv_path outside the sets directory', () => {
    const dir = setsDir({ sets: { fruits: setEntry({ csv_path: '../elsewhere.csv' }) } }, { 'fruits.csv': FRUITS_CSV });
    expect(setErrorOf(() => getSet(dir, 'fruits')).message).toContain('csv_path "../elsewhere.csv" must be a path inside the sets directory');
  });

  it('bad per-item override columns name the line, column and value', () => {
    const dir = setsDir(
      { sets: { w: setEntry({ csv_path: 'w.csv' }), s: setEntry({ csv_path: 's.csv' }) } },
      { 'w.csv': 'fruit,colour,width\nApple,red,512\nPear,green,500\n', 's.csv': 'fruit,colour,seed\nApple,red,-1\n' },
    );
    expect(setErrorOf(() => getSet(dir, 'w')).message).toBe(
      'set "w": w.csv line 3, column "width": "500" must be a whole number of pixels, a multiple of 8 within 64…2048',
    );
    expect(setErrorOf(() => getSet(dir, 's')).message).toContain('s.csv line 2, column "seed": "-1"');
  });

  it('a broken set does not hide the good ones', () => {
    const dir = setsDir(
      { sets: { fruits: setEntry(), broken: setEntry({ csv_path: 'broken.csv' }), 'Bad Id': setEntry() } },
      { 'fruits.csv': FRUITS_CSV, 'broken.csv': 'fruit,colour\n' },
    );
    const listing = listSets(dir);
    expect(listing.sets.map((set) => set.id)).toEqual(['fruits']);
    expect(listing.errors.map((error) => error.setId)).toEqual(['broken', 'Bad Id']);
    expect(listing.errors[0]?.message).toContain('broken.csv');
    expect(listing.errors[1]?.message).toContain('the id must match');
  });

  it('a malformed config.yaml is INVALID_CONFIG', () => {
    const dir = setsDir('sets: [unclosed\n');
    expect(setErrorOf(() => listSets(dir)).code).toBe('INVALID_CONFIG');
  });
});

describe('set ids from requests', () => {
  const dir = () => setsDir({ sets: { fruits: setEntry() } }, { 'fruits.csv': FRUITS_CSV });

  it.each(['../etc', '../../sets/card_deck', 'fruits/..', 'Fruits', ''])('%j is BAD_USER_INPUT', (id) => {
    const error = setErrorOf(() => getSet(dir(), id));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('is not valid');
  });

  it('an unknown id is NOT_FOUND', () => {
    const error = setErrorOf(() => getSet(dir(), 'vegetables'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('no set "vegetables"');
  });
});
