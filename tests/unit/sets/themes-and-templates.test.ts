import { afterEach, describe, expect, it } from 'vitest';

import { fillTemplate, joinPromptParts, randomTheme, SetError, seededRandom, slugify, templateColumns } from '../../../server/sets/index.ts';
import { FRUITS_CSV, makeSetsDir, SHIPPED_SETS_DIR, setEntry } from './temp-sets.ts';

let cleanup = () => {};
afterEach(() => cleanup());

describe('randomTheme', () => {
  it('ships about 30 themes and picks reproducibly from a seeded source', () => {
    const picks = Array.from({ length: 5 }, (_, i) => randomTheme(SHIPPED_SETS_DIR, 'card_deck', seededRandom(i)));
    expect(picks).toEqual(Array.from({ length: 5 }, (_, i) => randomTheme(SHIPPED_SETS_DIR, 'card_deck', seededRandom(i))));
    const seen = new Set<string>();
    const random = seededRandom(7);
    for (let i = 0; i < 400; i += 1) seen.add(randomTheme(SHIPPED_SETS_DIR, undefined, random));
    expect(seen.size).toBeGreaterThanOrEqual(28);
  });

  it("uses the set's own themes over the global list; unknown sets are NOT_FOUND", () => {
    const made = makeSetsDir(
      { themes: ['global'], sets: { fruits: setEntry({ themes: ['orchard'] }), plain: setEntry() } },
      { 'fruits.csv': FRUITS_CSV },
    );
    cleanup = made.cleanup;
    expect(randomTheme(made.dir, 'fruits', () => 0.99)).toBe('orchard');
    expect(randomTheme(made.dir, 'plain', () => 0.5)).toBe('global');
    expect(randomTheme(made.dir)).toBe('global');
    expect(() => randomTheme(made.dir, 'nope')).toThrow(SetError);
    expect(() => randomTheme(made.dir, '../x')).toThrow(/is not valid/);
  });
});

describe('templates and joining', () => {
  it('lists columns and fills them, dropping the joining words of empty ones', () => {
    expect(templateColumns('{a} of {b}, {a} {c}')).toEqual(['a', 'b', 'c']);
    expect(fillTemplate('the {value} of {suit} card', { value: 'Ace', suit: 'Spades' })).toBe('the Ace of Spades card');
    expect(fillTemplate('the {value} of {suit} card', { value: 'Red Joker', suit: '' })).toBe('the Red Joker card');
    expect(fillTemplate('{a}, {b}', { a: '', b: 'x' })).toBe('x');
    expect(() => templateColumns('{a} {b')).toThrow(/unmatched brace/);
    expect(() => templateColumns('{}')).toThrow(/empty placeholder/);
  });

  it('joins parts with ", " without doubled spaces or commas', () => {
    expect(joinPromptParts(['  a  b ', '', ' , ', 'c,, d ,', 'e\n\tf'])).toBe('a b, c, d, e f');
  });

  it('slugs are safe file-name parts', () => {
    expect(slugify('Ace of Spades')).toBe('ace_of_spades');
    expect(slugify('../../etc/passwd')).toBe('etc_passwd');
    expect(slugify('Mars (traditional) — Été')).toBe('mars_traditional_ete');
  });
});
