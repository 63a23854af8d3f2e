import { afterEach, describe, expect, it } from 'vitest';

import { planBatch } from '../../../server/sets/index.ts';
import { FRUITS_CSV, makeSetsDir, setEntry, setErrorOf } from './temp-sets.ts';

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
const fruitsDir = (entry: Record<string, unknown> = {}, csv = FRUITS_CSV) =>
  setsDir({ sets: { fruits: setEntry(entry) } }, { 'fruits.csv': csv });

describe('planBatch', () => {
  it('builds "base, theme, template, style" per row with the set size and negative prompt', () => {
    const plan = planBatch({ setsDir: fruitsDir({ negative_prompt: 'blurry' }), setId: 'fruits', theme: '  art deco  ' });
    expect(plan.theme).toBe('art deco');
    expect(plan.items.map((item) => item.prompt)).toEqual([
      'still life, art deco, Apple, red colour, oil painting',
      'still life, art deco, Banana, yellow colour, oil painting',
      'still life, art deco, Plum, purple colour, oil painting',
    ]);
    expect(plan.items.map((item) => item.item)).toEqual(['apple', 'banana', 'plum']);
    expect(plan.items.every((item) => item.width === 512 && item.height === 512 && item.negativePrompt === 'blurry')).toBe(true);
    expect(plan.items[0]?.tokenCount).toBe(13); // still·life·,·art·deco·,·apple·,·red·colour·,·oil·painting
    expect(plan.items[0]?.warnings).toEqual([]);
  });

  it('skips empty parts and the words joining an empty column', () => {
    const plan = planBatch({
      setsDir: fruitsDir({ base_prompt: '', style_suffix: '  ', prompt_template: '{fruit} of {colour} , ,  ripe' }, 'fruit,colour\nApple,\nKiwi,green\n'),
      setId: 'fruits',
      theme: '',
    });
    expect(plan.items.map((item) => item.prompt)).toEqual(['Apple, ripe', 'Kiwi of green, ripe']);
  });

  it('gives item i the seed + i; a row seed column overrides', () => {
    const dir = fruitsDir({}, 'fruit,colour,seed\nApple,red,\nBanana,yellow,7\nPlum,purple,\n');
    const seeded = planBatch({ setsDir: dir, setId: 'fruits', theme: 'x', seed: 1000n });
    expect(seeded.items.map((item) => item.seed)).toEqual([1000n, 7n, 1002n]);
    expect(seeded.seed).toBe(1000n);
    const unseeded = planBatch({ setsDir: dir, setId: 'fruits', theme: 'x' });
    expect(unseeded.items.map((item) => item.seed)).toEqual([null, 7n, null]);
    const wrapping = planBatch({ setsDir: dir, setId: 'fruits', theme: 'x', seed: 2n ** 64n - 1n });
    expect(wrapping.items[2]?.seed).toBe(1n);
  });

  it('per-row width, height and negative_prompt override the set', () => {
    const dir = fruitsDir({ negative_prompt: 'blurry' }, 'fruit,colour,width,height,negative_prompt\nApple,red,640,,\nPear,green,,768,no stems\n');
    const plan = planBatch({ setsDir: dir, setId: 'fruits', theme: '' });
    expect(plan.items.map(({ width, height, negativePrompt }) => [width, height, negativePrompt])).toEqual([
      [640, 512, 'blurry'],
      [512, 768, 'no stems'],
    ]);
  });

  it('a limit takes the first N rows; outside 1 … rows is BAD_USER_INPUT', () => {
    const dir = fruitsDir();
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: '', limit: 2 }).items.map((item) => item.item)).toEqual(['apple', 'banana']);
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: '', limit: 3 }).items).toHaveLength(3);
    for (const limit of [0, 4, 1.5, -1]) {
      const error = setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: '', limit }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain('from 1 to 3');
    }
  });

  it("the request's LoRAs replace the set's", () => {
    const dir = fruitsDir({ loras: [{ name: 'oil_style', weight: 0.7 }, { name: 'plain' }] });
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: '' }).loras).toEqual([
      { name: 'oil_style', weight: 0.7 },
      { name: 'plain', weight: 1 },
    ]);
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: '', loras: [{ name: 'other', weight: 0.5 }] }).loras).toEqual([{ name: 'other', weight: 0.5 }]);
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: '', loras: [] }).loras).toEqual([]);
  });

  it('duplicate item names get unique slugs', () => {
    const plan = planBatch({ setsDir: fruitsDir({}, 'fruit,colour\nApple,red\nApple,green\nÄpfel!,red\n???,x\n'), setId: 'fruits', theme: '' });
    expect(plan.items.map((item) => item.item)).toEqual(['apple', 'apple_2', 'apfel', 'item_4']);
  });

  it('rejects a theme over 200 characters, on several lines or with braces, naming the set', () => {
    const dir = fruitsDir();
    const long = setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: 'a'.repeat(201) }));
    expect(long.code).toBe('BAD_USER_INPUT');
    expect(long.message).toBe('set "fruits": theme is 201 characters, more than the 200 allowed');
    expect(planBatch({ setsDir: dir, setId: 'fruits', theme: ` ${'a'.repeat(200)} ` }).theme).toHaveLength(200);
    expect(setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: 'a\nb' })).message).toContain('single line');
    expect(setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: '{fruit}' })).message).toContain('must not contain');
  });

  it('rejects a prompt over 2000 characters, naming the set and item', () => {
    const dir = fruitsDir({}, `fruit,colour\nApple,${'r'.repeat(1900)}\n`);
    const error = setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: 'b'.repeat(150) }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^set "fruits", item "apple": the prompt is 20\d\d characters, more than the 2000 allowed$/);
  });

  it('refuses at load a row whose prompt is too long even without a theme', () => {
    const dir = fruitsDir({}, `fruit,colour\nApple,${'r'.repeat(2100)}\n`);
    expect(setErrorOf(() => planBatch({ setsDir: dir, setId: 'fruits', theme: '' })).message).toContain('fruits.csv line 2 ("apple")');
  });

  it('warns, without failing, past 75 CLIP tokens', () => {
    const plan = planBatch({ setsDir: fruitsDir({}, `fruit,colour\nApple,${'red '.repeat(80)}\n`), setId: 'fruits', theme: '' });
    expect(plan.items[0]?.tokenCount).toBeGreaterThan(75);
    expect(plan.items[0]?.warnings).toHaveLength(1);
    expect(plan.items[0]?.warnings[0]).toContain('set "fruits", item "apple": the prompt is');
  });

  it('a negative seed is BAD_USER_INPUT', () => {
    expect(setErrorOf(() => planBatch({ setsDir: fruitsDir(), setId: 'fruits', theme: '', seed: -1n })).code).toBe('BAD_USER_INPUT');
  });
});
