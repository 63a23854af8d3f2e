import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeTaesd } from '../../server/engine/forge/taesd.ts';
import { readPngTextMap } from '../../server/engine/image/png-read.ts';
import { loadModel, type LoadedModel } from '../../server/engine/models/index.ts';
import { ValidationError, type StepProgress } from '../../server/engine/pipeline.ts';
import { EngineWorker } from '../../server/worker/engine-client.ts';
import { runGenerateJob } from '../../server/worker/generate-job.ts';
import type { GenerateRequest } from '../../server/worker/protocol.ts';
import { FORGE_SEED, forge, generate, meanAbsoluteError, openModel, tempDir } from './engine-fixtures.ts';

const root = tempDir('engine-tiny-decoder');
let modelDir: string;
let withTiny: LoadedModel;
let withoutTiny: LoadedModel;
const logs: string[] = [];

const request = (name: string, overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: 'a paper crane',
  width: 96,
  height: 64,
  steps: 3,
  guidanceScale: 5,
  seed: '42',
  scheduler: 'euler',
  outputPath: join(root.path, 'out', `${name}.png`),
  ...overrides,
});

beforeAll(async () => {
  modelDir = await forge(root.path, 'tiny', { preset: 'tiny' });
  forgeTaesd({ outDir: join(root.path, 'taesd'), seed: FORGE_SEED });
  withTiny = await loadModel(modelDir, { device: 'cpu', threads: 1, tinyDecoder: join(root.path, 'taesd'), log: (line) => logs.push(line) });
  withoutTiny = await openModel(modelDir);
});
afterAll(async () => {
  await withTiny?.dispose();
  await withoutTiny?.dispose();
  root.remove();
});

describe('decoder: tiny', () => {
  it('loads the TAESD beside the model and says which output convention it found', () => {
    expect(withTiny.tinyDecoder).toBeDefined();
    expect(logs.some((l) => /tiny decoder \(TAESD\) loaded from .*vae_decoder\/model\.onnx \(output −1 … 1, diffusers export\)/.test(l))).toBe(true);
  });

  it('a job with decoder tiny writes a PNG of the requested size, sidecar and A1111 text saying so', async () => {
    const result = await runGenerateJob(request('tiny', { decoder: 'tiny' }), { model: withTiny, modelName: 'tiny' });
    expect(await sharp(result.imagePath).metadata()).toMatchObject({ width: 96, height: 64 });
    const sidecar = JSON.parse(readFileSync(result.sidecarPath, 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ decoder: 'tiny', width: 96, height: 64 });
    const text = readPngTextMap(readFileSync(result.imagePath));
    expect(text.parameters).toMatch(/VAE Decoder: TAESD/);
    expect(JSON.parse(text.imagineer)).toMatchObject({ decoder: 'tiny' });

    const full = await runGenerateJob(request('full'), { model: withTiny, modelName: 'tiny' });
    expect(JSON.parse(readFileSync(full.sidecarPath, 'utf8'))).toMatchObject({ decoder: 'full' });
    expect(readPngTextMap(readFileSync(full.imagePath)).parameters).not.toMatch(/VAE Decoder/);
  });

  it('the same latents, another decoder: a different picture; the same decoder twice: the same pixels', async () => {
    const tinyA = await generate(withTiny, { decoder: 'tiny', seed: '5' });
    const tinyB = await generate(withTiny, { decoder: 'tiny', seed: '5' });
    const full = await generate(withTiny, { decoder: 'full', seed: '5' });
    expect(tinyA.timings.decoder).toBe('tiny');
    expect(full.timings.decoder).toBe('full');
    expect(Buffer.compare(Buffer.from(tinyA.image.rgb), Buffer.from(tinyB.image.rgb))).toBe(0);
    expect(meanAbsoluteError(tinyA.image.rgb, full.image.rgb)).toBeGreaterThan(1);
  });

  it('without a tiny decoder the job is refused on field decoder, saying how to get one', async () => {
    const error = await runGenerateJob(request('refused', { decoder: 'tiny' }), { model: withoutTiny, modelName: 'tiny' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'decoder' });
    expect((error as Error).message).toMatch(/TAESD/);
    expect((error as Error).message).toMatch(/model\.tiny_decoder/);
    expect(existsSync(join(root.path, 'out', 'refused.png'))).toBe(false);
    await expect(generate(withoutTiny, { decoder: 'tiny' })).rejects.toMatchObject({ field: 'decoder' });
  });

  it('a broken tiny decoder does not stop the model: it loads without one and logs why', async () => {
    const bad = join(root.path, 'bad.onnx');
    writeFileSync(bad, 'not an onnx model');
    const lines: string[] = [];
    const model = await loadModel(modelDir, { device: 'cpu', threads: 1, tinyDecoder: bad, log: (l) => lines.push(l) });
    try {
      expect(model.tinyDecoder).toBeUndefined();
      expect(lines.some((l) => /^tiny decoder not loaded: .*bad\.onnx.*decoder: tiny will be refused/.test(l))).toBe(true);
      const missing = await loadModel(modelDir, { device: 'cpu', threads: 1, tinyDecoder: join(root.path, 'nowhere'), log: (l) => lines.push(l) });
      expect(missing.tinyDecoder).toBeUndefined();
      await missing.dispose();
    } finally {
      await model.dispose();
    }
  });
});

describe('previews with a tiny decoder', () => {
  it('are decoded at full size when affordable, latent-RGB at latent size when over the 10 % budget', async () => {
    const tiny = withTiny.tinyDecoder!;
    tiny.msPerLatentPixel = undefined; // never measured: the first one is tried
    const events: StepProgress[] = [];
    const result = await generate(withTiny, { steps: 3, width: 96, height: 64 }, { onProgress: (p) => events.push(p), previewIntervalMs: 0 });
    expect(events[0].preview).toMatchObject({ width: 96, height: 64 });
    expect(result.timings.tinyPreviews).toBeGreaterThanOrEqual(1);

    const expensive: StepProgress[] = [];
    tiny.msPerLatentPixel = 1e6; // a decode far over 10 % of any step
    const slow = await generate(withTiny, { steps: 3, width: 96, height: 64 }, { onProgress: (p) => expensive.push(p), previewIntervalMs: 0 });
    expect(expensive.map((e) => [e.preview?.width, e.preview?.height])).toEqual([[12, 8], [12, 8], [12, 8]]);
    expect(slow.timings.tinyPreviews).toBe(0);
  });

  it('keep previewIntervalMs: with a long interval only the first step carries one', async () => {
    const events: StepProgress[] = [];
    await generate(withTiny, { steps: 3 }, { onProgress: (p) => events.push(p), previewIntervalMs: 60_000 });
    expect(events.map((e) => e.preview !== undefined)).toEqual([true, false, false]);
  });
});

describe('the demo model out of the box', () => {
  it('gets a forged TAESD, so the worker offers decoder tiny and runs it', async () => {
    const dataDir = join(root.path, 'data');
    const engine = await EngineWorker.start({ modelDir: 'demo', device: 'cpu', threads: 1, dataDir });
    try {
      expect(engine.info().decoders).toEqual(['full', 'tiny']);
      expect(existsSync(join(dataDir, 'models', 'demo', 'taesd', 'vae_decoder', 'model.onnx'))).toBe(true);
      const result = await engine.generate('demo-tiny', request('demo-tiny', { decoder: 'tiny', width: 64, height: 64 }));
      expect(JSON.parse(readFileSync(result.sidecarPath, 'utf8'))).toMatchObject({ decoder: 'tiny', model: 'demo' });
    } finally {
      await engine.close();
    }
  });

  it('model.tiny_decoder none: no tiny decoder, jobs asking for one refused', async () => {
    const engine = await EngineWorker.start({ modelDir: 'demo', device: 'cpu', threads: 1, dataDir: join(root.path, 'data'), tinyDecoder: 'none' });
    try {
      expect(engine.info().decoders).toEqual(['full']);
      await expect(engine.generate('none', request('none', { decoder: 'tiny' }))).rejects.toMatchObject({ field: 'decoder' });
    } finally {
      await engine.close();
    }
  });
});
