import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOracleExpectation } from '../../server/engine/forge/index.ts';
import type { LoadedModel } from '../../server/engine/models/index.ts';
import { CancelledError, cropLatents, paddedLatentShape, ValidationError, type StepProgress } from '../../server/engine/pipeline.ts';
import { forge, generate, meanAbsoluteError, openModel, tempDir } from './engine-fixtures.ts';

const root = tempDir('engine-pipeline');
let oracleDir: string;
let oracle: LoadedModel;
let tiny: LoadedModel;

beforeAll(async () => {
  oracleDir = await forge(root.path, 'oracle', { preset: 'oracle' });
  // The SD1.5 config has set_alpha_to_one: false, so DDIM's last step lands on ᾱ₀ = 0.99915 instead of 1 and leaves
  // √(1 − ᾱ₀) ≈ 3 % of noise in the result, in diffusers too. With ᾱ = 1 at the end, every correct deterministic
  // scheduler must end exactly on the oracle's picture.
  const configFile = join(oracleDir, 'scheduler', 'scheduler_config.json');
  writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), set_alpha_to_one: true }));
  oracle = await openModel(oracleDir);
  tiny = await openModel(await forge(root.path, 'tiny', { preset: 'tiny' }));
});
afterAll(async () => {
  await oracle?.dispose();
  await tiny?.dispose();
  root.remove();
});

describe('txt2img end to end against the oracle model', () => {
  it.each(['dpmpp_2m', 'ddim', 'euler'] as const)('%s, 20 steps, ends on the oracle picture within 1/255 mean error', async (scheduler) => {
    const expected = readOracleExpectation(oracleDir);
    const result = await generate(oracle, { width: expected.width, height: expected.height, steps: 20, scheduler, seed: '2024' });
    expect([result.image.width, result.image.height]).toEqual([expected.width, expected.height]);
    expect(meanAbsoluteError(result.image.rgb, expected.pixels)).toBeLessThanOrEqual(1);
  });

  it('the check can fail: with the untouched SD1.5 config DDIM stops at ᾱ₀ < 1 and misses the picture', async () => {
    const dir = await forge(root.path, 'oracle-sd15-config', { preset: 'oracle' });
    const model = await openModel(dir);
    try {
      const expected = readOracleExpectation(dir);
      const result = await generate(model, { width: expected.width, height: expected.height, steps: 20, scheduler: 'ddim', seed: '2024' });
      expect(meanAbsoluteError(result.image.rgb, expected.pixels)).toBeGreaterThan(1);
    } finally {
      await model.dispose();
    }
  });
});

describe('txt2img on the tiny model', () => {
  it('same seed and settings → identical pixels; another seed → different pixels', async () => {
    const a = await generate(tiny, { seed: '77' });
    const b = await generate(tiny, { seed: '77' });
    const c = await generate(tiny, { seed: '78' });
    expect(Buffer.compare(Buffer.from(a.image.rgb), Buffer.from(b.image.rgb))).toBe(0);
    expect(meanAbsoluteError(a.image.rgb, c.image.rgb)).toBeGreaterThan(0.5);
  });

  it('reports every step in order with elapsed time and ETA, and previews of the predicted image', async () => {
    const events: StepProgress[] = [];
    const result = await generate(tiny, { steps: 6, width: 128, height: 64 }, { onProgress: (p) => events.push(p), previewIntervalMs: 0 });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.every((e) => e.totalSteps === 6 && e.elapsedMs >= 0 && e.etaMs >= 0)).toBe(true);
    expect(events.at(-1)?.etaMs).toBe(0);
    expect(events[0].preview).toMatchObject({ width: 16, height: 8 });
    expect(events[0].preview?.rgb.length).toBe(16 * 8 * 3);
    expect(result.timings.stepMs).toHaveLength(6);
    expect(result.timings.sessionRunMs).toBeGreaterThan(0);
    expect(result.timings.sessionRunMs).toBeLessThanOrEqual(result.timings.totalMs);
  });

  it('throttles previews: with a long interval only the first step carries one', async () => {
    const events: StepProgress[] = [];
    await generate(tiny, { steps: 4 }, { onProgress: (p) => events.push(p), previewIntervalMs: 60_000 });
    expect(events.map((e) => e.preview !== undefined)).toEqual([true, false, false, false]);
  });

  it('a job cancelled at step 3 of 20 stops before step 4', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const unetRunsBefore = tiny.unet.session.runCount;
    const run = generate(tiny, { steps: 20 }, {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED', name: 'AbortError' });
    expect(steps).toEqual([1, 2, 3]);
    expect(tiny.unet.session.runCount - unetRunsBefore).toBe(3);
  });

  it('guidance ≤ 1 runs no unconditional pass; guidance > 1 runs [uncond; cond] in one batch', async () => {
    const runs = async (guidanceScale: number) => {
      const before = tiny.unet.session.runCount;
      const text = tiny.textEncoder.session.runCount;
      await generate(tiny, { steps: 3, guidanceScale });
      return { unet: tiny.unet.session.runCount - before, text: tiny.textEncoder.session.runCount - text };
    };
    // Counting encoder runs: with the text-state cache off, every chunk reaches the encoder.
    tiny.textEncoder.cacheEnabled = false;
    try {
      expect(await runs(1)).toEqual({ unet: 3, text: 1 });
      expect(await runs(7)).toEqual({ unet: 3, text: 2 });
    } finally {
      tiny.textEncoder.cacheEnabled = true;
    }
  });

  it('guidance changes the picture (the conditional and unconditional predictions are combined)', async () => {
    const low = await generate(tiny, { guidanceScale: 1 });
    const high = await generate(tiny, { guidanceScale: 12 });
    expect(meanAbsoluteError(low.image.rgb, high.image.rgb)).toBeGreaterThan(0.5);
  });

  it('a long prompt is encoded in several 77-token chunks and the negative prompt padded to match', async () => {
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const chunks = tiny.tokenizer.encodeChunks(long).length;
    expect(chunks).toBeGreaterThan(1);
    tiny.textEncoder.cacheEnabled = false;
    const before = tiny.textEncoder.session.runCount;
    const result = await generate(tiny, { prompt: long, negativePrompt: 'short', steps: 1 }).finally(() => (tiny.textEncoder.cacheEnabled = true));
    expect(tiny.textEncoder.session.runCount - before).toBe(2 * chunks);
    const short = await generate(tiny, { prompt: 'word0', negativePrompt: 'short', steps: 1 });
    expect(meanAbsoluteError(result.image.rgb, short.image.rgb)).toBeGreaterThan(0);
  });

  it('a size the UNet cannot take is generated at the next size it can and cropped to the centre', async () => {
    // The tiny UNet has one upsampler: latents must be even, so 72 px (9 latent rows) cannot go through it as is.
    expect(tiny.unet.latentMultiple).toBe(2);
    const logs: string[] = [];
    const result = await generate(tiny, { width: 64, height: 72, steps: 2 }, { log: (line) => logs.push(line) });
    expect([result.image.width, result.image.height, result.image.rgb.length]).toEqual([64, 72, 64 * 72 * 3]);
    expect(logs).toContain('this UNet takes multiples of 16 px: generating at 64×80 and cropping the centre 64×72');
    const even = await generate(tiny, { width: 64, height: 64, steps: 2 }, { log: (line) => logs.push(line) });
    expect(even.image.height).toBe(64);
    expect(logs).toHaveLength(1);
  });

  it('pads latent sizes up to the multiple and crops the centred window back out', () => {
    expect(paddedLatentShape({ height: 90, width: 64 }, 8)).toEqual({ height: 96, width: 64 });
    expect(paddedLatentShape({ height: 64, width: 64 }, 8)).toEqual({ height: 64, width: 64 });
    // 4 channels of a 4×3 grid holding their own index; the centred 2×1 window of each channel.
    const from = { height: 4, width: 3 };
    const latents = Float32Array.from({ length: 4 * 12 }, (_, i) => i);
    const cropped = cropLatents(latents, from, { height: 2, width: 1 });
    expect([...cropped]).toEqual([4, 7, 16, 19, 28, 31, 40, 43]);
    expect(cropLatents(latents, from, from)).toBe(latents);
  });

  it('a step count the scheduler refuses becomes a ValidationError on steps', async () => {
    await expect(generate(tiny, { scheduler: 'lcm', steps: 120, guidanceScale: 1 })).rejects.toMatchObject({ field: 'steps' });
    await expect(generate(tiny, { scheduler: 'lcm', steps: 120 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('every scheduler runs at a non-square size', async () => {
    for (const scheduler of ['dpmpp_2m', 'dpmpp_2m_karras', 'euler', 'euler_a', 'ddim', 'lcm'] as const) {
      const result = await generate(tiny, { scheduler, width: 96, height: 64, steps: 2 });
      expect(result.image.rgb.length).toBe(96 * 64 * 3);
    }
  });
});

describe('exports with static shapes', () => {
  it('a UNet traced at one size refuses other sizes with a ValidationError naming the field', async () => {
    expect(oracle.unet.fixedLatentSize).toEqual({ height: 16, width: 16 });
    await expect(generate(oracle, { width: 64, height: 128 })).rejects.toMatchObject({ field: 'width', message: expect.stringMatching(/only makes 128×128/) });
    await expect(generate(oracle, { width: 128, height: 64 })).rejects.toMatchObject({ field: 'height' });
  });
});
