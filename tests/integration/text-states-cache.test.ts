import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../server/engine/models/index.ts';
import { forge, generate, openModel, tempDir } from './engine-fixtures.ts';

const root = tempDir('text-cache');
let model: LoadedModel;

beforeAll(async () => {
  model = await openModel(await forge(root.path, 'tiny', { preset: 'tiny' }));
}, 120_000);
afterAll(async () => {
  await model?.dispose();
  root.remove();
});

describe('text states cache', () => {
  it('a batch that shares its negative prompt encodes it once; images equal those made without the cache', async () => {
    const prompts = ['the fool, tarot card', 'the magician, tarot card', 'the high priestess, tarot card'];
    const runsBefore = model.textEncoder.session.runCount;
    const cached = [];
    for (const prompt of prompts) cached.push(await generate(model, { prompt, negativePrompt: 'blurry, watermark', guidanceScale: 7 }));
    // Three prompts plus one negative prompt: four encoder runs, not six.
    expect(model.textEncoder.session.runCount - runsBefore).toBe(4);
    expect(model.textEncoder.cacheHits).toBe(2);

    model.textEncoder.cacheEnabled = false;
    try {
      for (const [i, prompt] of prompts.entries()) {
        const uncached = await generate(model, { prompt, negativePrompt: 'blurry, watermark', guidanceScale: 7 });
        expect(Buffer.from(uncached.image.rgb).equals(Buffer.from(cached[i].image.rgb))).toBe(true);
      }
    } finally {
      model.textEncoder.cacheEnabled = true;
    }
  });

  it('a cached chunk handed out cannot change what the cache holds', async () => {
    const ids = model.tokenizer.encodeChunks('a lantern')[0];
    const first = await model.textEncoder.encode(ids);
    const expected = first.slice();
    first.fill(0);
    const again = await model.textEncoder.encode(ids);
    expect(Buffer.from(again.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });
});
