import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ByteBoundedLru } from '../../../server/engine/lru.ts';
import { getMergedModel, MergedModelCache } from '../../../server/engine/lora/merged-model-cache.ts';
import { randomLora, writeSafetensors } from '../../helpers/lora-writer.ts';
import { targetLayers, tinyModel, scratchDir } from './tiny-model.ts';

describe('ByteBoundedLru', () => {
  it('evicts least recently used entries when over its byte bound', () => {
    const evicted: string[] = [];
    const lru = new ByteBoundedLru<number>(10, (n) => n, (key) => evicted.push(key));
    lru.set('a', 4);
    lru.set('b', 4);
    expect(lru.get('a')).toBe(4); // a is now the most recent
    lru.set('c', 4);
    expect(evicted).toEqual(['b']);
    expect(lru.keys()).toEqual(['a', 'c']);
    expect(lru.bytes).toBe(8);
    lru.set('huge', 50);
    expect(lru.keys()).toEqual(['huge']);
    expect(evicted).toEqual(['b', 'a', 'c']);
    lru.set('huge', 1);
    expect(lru.bytes).toBe(1);
  });
});

describe('MergedModelCache', () => {
  let modelDir: string;
  let files: string[];

  beforeAll(async () => {
    modelDir = await tinyModel({ externalData: true });
    const layers = targetLayers(join(modelDir, 'unet/model.onnx'), 'unet', (p) => p.includes('attn'));
    const dir = scratchDir('lora-cache-');
    files = [1, 2, 3].map((seed) => writeSafetensors(join(dir, `l${seed}.safetensors`), randomLora(layers, { format: 'kohya', rank: 2, alpha: 2, seed }).tensors));
  });

  it('returns the cached merge for the same (model, component, LoRA hashes, weights) and evicts beyond its bound', async () => {
    const probe = new MergedModelCache(Number.MAX_SAFE_INTEGER);
    const one = await getMergedModel({ modelDir, component: 'unet', loras: [{ name: 'a', file: files[0], weight: 1 }], strict: true }, probe);
    expect(one.externalData?.map((e) => e.path)).toEqual(['weights.pb', 'lora_merged_weights.bin']);
    const entryBytes = one.ownBytes;
    expect(entryBytes).toBeGreaterThan(0);

    const cache = new MergedModelCache(2 * entryBytes + 100);
    const request = (file: string, weight = 1) => ({ modelDir, component: 'unet' as const, loras: [{ name: 'x', file, weight }], strict: true });
    const first = await cache.get(request(files[0]));
    expect(await cache.get(request(files[0]))).toBe(first);
    // Another copy of the same bytes under another name hits the same entry (keyed by sha256).
    const copy = join(scratchDir('lora-copy-'), 'copy.safetensors');
    writeFileSync(copy, readFileSync(files[0]));
    expect(await cache.get(request(copy))).toBe(first);
    const otherWeight = await cache.get(request(files[0], 0.5));
    expect(otherWeight === first).toBe(false);
    expect(cache.size).toBe(2);
    await cache.get(request(files[1])); // over the bound: the least recently used (weight 1) goes
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(2 * entryBytes + 100);
    expect(await cache.get(request(files[0], 0.5))).toBe(otherWeight);
    expect((await cache.get(request(files[0]))) === first).toBe(false);
  });

  it('shares the unpatched weights file among merged models of one model', async () => {
    const cache = new MergedModelCache(Number.MAX_SAFE_INTEGER);
    const a = await cache.get({ modelDir, component: 'unet', loras: [{ name: 'a', file: files[1], weight: 1 }], strict: true });
    const b = await cache.get({ modelDir, component: 'unet', loras: [{ name: 'b', file: files[2], weight: 1 }], strict: true });
    expect(a.externalData![0].data).toBe(b.externalData![0].data);
  });
});
