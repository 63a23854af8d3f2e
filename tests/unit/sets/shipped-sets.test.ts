import { describe, expect, it } from 'vitest';

import { getSet, listSets, MAX_PROMPT_CHARS, planBatch } from '../../../server/sets/index.ts';
import { SHIPPED_SETS_DIR } from './temp-sets.ts';

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
};
const countOf = (word: string): number => NUMBER_WORDS[word.toLowerCase()] ?? Number(word);

describe('shipped sets', () => {
  it('load without errors with 54 / 22 / 12 items', () => {
    const { sets, errors } = listSets(SHIPPED_SETS_DIR);
    expect(errors).toEqual([]);
    expect(Object.fromEntries(sets.map((set) => [set.id, set.items.length]))).toEqual({ card_deck: 54, tarot_deck: 22, zodiac: 12 });
  });

  it('have the documented sizes and columns', () => {
    const cards = getSet(SHIPPED_SETS_DIR, 'card_deck');
    expect([cards.width, cards.height]).toEqual([512, 720]);
    expect(cards.columns).toEqual(['value', 'suit', 'personality', 'visual_layout']);
    const tarot = getSet(SHIPPED_SETS_DIR, 'tarot_deck');
    expect([tarot.width, tarot.height]).toEqual([512, 896]);
    expect(tarot.columns).toEqual(['number', 'name', 'meaning', 'imagery']);
    expect(tarot.items.map((item) => item.values.number)).toEqual(
      ['0', 'I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII', 'XIII', 'XIV', 'XV', 'XVI', 'XVII', 'XVIII', 'XIX', 'XX', 'XXI'],
    );
    expect(tarot.items[0]?.item).toBe('the_fool');
    expect(tarot.items[21]?.item).toBe('the_world');
    const zodiac = getSet(SHIPPED_SETS_DIR, 'zodiac');
    expect([zodiac.width, zodiac.height]).toEqual([512, 512]);
    expect(zodiac.columns).toEqual(expect.arrayContaining(['name', 'symbol', 'dates', 'element', 'modality', 'ruling_planet', 'imagery']));
    expect(zodiac.items.map((item) => item.item)).toEqual(
      ['aries', 'taurus', 'gemini', 'cancer', 'leo', 'virgo', 'libra', 'scorpio', 'sagittarius', 'capricorn', 'aquarius', 'pisces'],
    );
  });

  it.each(['card_deck', 'tarot_deck', 'zodiac'])('%s: every prompt fits, has no leftover placeholder, slugs are unique', (setId) => {
    const longestTheme = 'x'.repeat(200);
    const plan = planBatch({ setsDir: SHIPPED_SETS_DIR, setId, theme: longestTheme });
    for (const item of plan.items) {
      expect(item.prompt.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
      expect(item.prompt).not.toMatch(/[{}]/);
      expect(item.prompt).not.toMatch(/ {2}|,\s*,/);
      expect(item.item).toMatch(/^[a-z0-9_]+$/);
      expect(item.tokenCount).toBeGreaterThan(10);
    }
    expect(new Set(plan.items.map((item) => item.item)).size).toBe(plan.items.length);
  });

  it('card_deck: 52 distinct value/suit pairs and two jokers', () => {
    const cards = getSet(SHIPPED_SETS_DIR, 'card_deck');
    const suits = ['Spades', 'Hearts', 'Diamonds', 'Clubs'];
    const values = ['Ace', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'Jack', 'Queen', 'King'];
    const pairs = cards.items.filter((item) => item.values.suit !== '').map((item) => `${item.values.value} of ${item.values.suit}`);
    expect(new Set(pairs)).toEqual(new Set(suits.flatMap((suit) => values.map((value) => `${value} of ${suit}`))));
    expect(cards.items.filter((item) => item.values.suit === '').map((item) => item.item)).toEqual(['red_joker', 'black_joker']);
    expect(cards.items[0]?.item).toBe('ace_of_spades');
  });

  it("card_deck: every visual_layout names the card's corner index and suit", () => {
    for (const { values } of getSet(SHIPPED_SETS_DIR, 'card_deck').items) {
      const layout = values.visual_layout ?? '';
      if (values.suit === '') {
        expect(layout).toContain("'JOKER'");
        expect(layout).toContain(values.value?.startsWith('Red') ? 'red' : 'black');
        continue;
      }
      const index = /^\d+$/.test(values.value ?? '') ? values.value : values.value?.[0];
      expect(layout, `${values.value} of ${values.suit}`).toContain(`corner index '${index}'`);
      expect(layout).toContain((values.suit ?? '').toLowerCase().replace(/s$/, ''));
      expect(layout).toContain(values.suit === 'Hearts' || values.suit === 'Diamonds' ? 'red' : 'black');
    }
  });

  it('card_deck: for 2–10 the stated pip count and the pips placed both equal the value', () => {
    const numbered = getSet(SHIPPED_SETS_DIR, 'card_deck').items.filter((item) => /^\d+$/.test(item.values.value ?? ''));
    expect(numbered).toHaveLength(36);
    for (const { values } of numbered) {
      const value = Number(values.value);
      // "seven red hearts: three in the left column, three in the right column, one centred …; corner index …"
      const match = /^(\w+) (red|black) (spades|hearts|diamonds|clubs): ([^;]+);/.exec(values.visual_layout ?? '');
      expect(match, values.visual_layout).not.toBeNull();
      const [, total, , suit, placement] = match as RegExpExecArray;
      expect(suit).toBe(values.suit?.toLowerCase());
      expect(countOf(total ?? ''), `${value} of ${values.suit}: stated count`).toBe(value);
      const placed = [...(placement ?? '').matchAll(/\b(one|two|three|four|five|six|seven|eight|nine|ten)\b/gi)]
        .reduce((sum, [word]) => sum + countOf(word), 0);
      expect(placed, `${value} of ${values.suit}: ${placement}`).toBe(value);
    }
  });

  it('card_deck: aces have a single pip and court cards a figure', () => {
    const items = getSet(SHIPPED_SETS_DIR, 'card_deck').items;
    for (const { values } of items.filter((item) => item.values.value === 'Ace')) {
      expect(values.visual_layout).toMatch(/^a single large/);
    }
    for (const { values } of items.filter((item) => ['Jack', 'Queen', 'King'].includes(item.values.value ?? ''))) {
      expect(values.visual_layout).toMatch(/^court card: /);
      expect(values.visual_layout).toMatch(values.value === 'Jack' ? /knave/ : values.value === 'Queen' ? /queen/ : /king/);
      expect(values.visual_layout).toMatch(/holding|held|holds|raising/);
    }
  });
});
