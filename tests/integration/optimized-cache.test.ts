import { mkdirSync, readdirSync, statSync, truncateSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptimizedModelCache } from '../../server/engine/models/index.ts';
import { EngineWorker, type EngineOptions, type GenerateRequest } from '../../server/worker/engine-client.ts';
import { randomLora, writeSafetensors } from '../helpers/lora-writer.ts';
import { attentionLayers } from '../unit/lora/tiny-model.ts';
import { forge, tempDir } from './engine-fixtures.ts';

const root = tempDir('optimized-cache');
const dataDir = join(root.path, 'data');
const cacheDir = join(dataDir, 'cache', 'optimized');
const loraDir = join(root.path, 'loras');
let modelDir: string;

const request = (name: string, loras?: GenerateRequest['loras']): GenerateRequest => ({
  prompt: 'the wheel of fortune',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 7,
  seed: '5',
  scheduler: 'euler',
  outputPath: join(root.path, 'out', `${name}.png`),
  ...(loras ? { loras } : {}),
});

/** Starts an engine with the cache on, runs the requests in order, closes it; returns the pixels and the log. */
async function session(requests: GenerateRequest[], options: Partial<EngineOptions> = {}): Promise<{ pixels: Buffer[]; logs: string[] }> {
  const logs: string[] = [];
  const engine = await EngineWorker.start(
    { modelDir, device: 'cpu', threads: 1, dataDir, loraDir, loraCacheMb: 64, optimizedCacheGb: 1, ...options },
    { log: (line) => logs.push(line) },
  );
  try {
    const pixels: Buffer[] = [];
    for (const [i, r] of requests.entries()) {
      const result = await engine.generate(`job-${i}`, r);
      pixels.push(await sharp(result.imagePath).raw().toBuffer());
    }
    return { pixels, logs };
  } finally {
    await engine.close();
  }
}

const entries = () => readdirSync(cacheDir).filter((name) => !name.startsWith('.'));
const saved = (logs: string[]) => logs.filter((l) => l.startsWith('optimised model saved')).length;

beforeAll(async () => {
  modelDir = await forge(root.path, 'tiny', { preset: 'tiny' });
  mkdirSync(loraDir, { recursive: true });
  const layers = attentionLayers(modelDir);
  writeSafetensors(join(loraDir, 'style.safetensors'), randomLora(layers, { format: 'kohya', rank: 4, alpha: 4, seed: 11 }).tensors);
}, 120_000);
afterAll(() => root.remove());

describe('optimised-model cache', () => {
  let first: { pixels: Buffer[]; logs: string[] };

  it('saves the three optimised graphs on the first start and reuses them, same pixels, on the next', async () => {
    first = await session([request('base-1')]);
    expect(saved(first.logs)).toBe(3);
    expect(entries()).toHaveLength(3);
    const second = await session([request('base-2')]);
    expect(saved(second.logs)).toBe(0);
    expect(second.pixels[0].equals(first.pixels[0])).toBe(true);
  });

  it('a damaged entry is dropped and optimised again, the image unchanged', async () => {
    const [largest] = entries()
      .map((key) => ({ key, bytes: statSync(join(cacheDir, key, 'model.weights'), { throwIfNoEntry: false })?.size ?? 0 }))
      .sort((a, b) => b.bytes - a.bytes);
    truncateSync(join(cacheDir, largest.key, 'model.weights'), 100);
    const again = await session([request('base-3')]);
    expect(saved(again.logs)).toBe(1);
    expect(again.logs.some((l) => /^saved optimised graph for model\.onnx would not open \(.+\); optimising it again$/.test(l))).toBe(true);
    expect(again.pixels[0].equals(first.pixels[0])).toBe(true);
  });

  it('a merged LoRA set is saved once and opened without merging after a restart', async () => {
    const lora = [{ name: 'style', weight: 0.8 }];
    const merged = await session([request('lora-1', lora)]);
    expect(merged.logs.some((l) => l.startsWith('lora: merged style:0.8'))).toBe(true);
    expect(saved(merged.logs)).toBe(2); // merged UNet and text encoder
    const reopened = await session([request('lora-2', lora)]);
    expect(reopened.logs.some((l) => l.startsWith('lora: merged style:0.8'))).toBe(false);
    expect(reopened.logs.some((l) => /style:0.8 opened from the optimised-model cache/.test(l))).toBe(true);
    expect(reopened.pixels[0].equals(merged.pixels[0])).toBe(true);
    expect(reopened.pixels[0].equals(first.pixels[0])).toBe(false);
  });

  it('a different weight is a different entry', async () => {
    const before = entries().length;
    const other = await session([request('lora-3', [{ name: 'style', weight: 0.4 }])]);
    expect(other.logs.some((l) => l.startsWith('lora: merged style:0.4'))).toBe(true);
    expect(entries().length).toBe(before + 2);
  });

  it('stays under its size bound, dropping the least recently used entries', async () => {
    const total = entries().reduce((sum, key) => sum + readdirSync(join(cacheDir, key)).reduce((s, f) => s + statSync(join(cacheDir, key, f)).size, 0), 0);
    // Room for about half of what is there now: the next entry written pushes the oldest ones out.
    const other = await session([request('lora-4', [{ name: 'style', weight: 0.2 }])], { optimizedCacheGb: total / 2 / 2 ** 30 });
    expect(other.logs.some((l) => l.startsWith('optimised model cache: removed'))).toBe(true);
    const after = entries().reduce((sum, key) => sum + readdirSync(join(cacheDir, key)).reduce((s, f) => s + statSync(join(cacheDir, key, f)).size, 0), 0);
    expect(after <= total / 2 || entries().length === 1).toBe(true);
    expect(after).toBeLessThan(total);
  });

  it('a changed model file gets a new key', () => {
    const cache = new OptimizedModelCache(cacheDir, 2 ** 30);
    const file = join(modelDir, 'vae_decoder', 'model.onnx');
    const before = cache.key('cpu', OptimizedModelCache.fileIdentity(file));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(cache.key('cpu', OptimizedModelCache.fileIdentity(file))).not.toBe(before);
    expect(cache.key('cuda', OptimizedModelCache.fileIdentity(file))).not.toBe(cache.key('cpu', OptimizedModelCache.fileIdentity(file)));
  });
});
