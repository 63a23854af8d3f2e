import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, EngineWorker, type GenerateProgress, type GenerateRequest } from '../../server/worker/engine-client.ts';
import { planProviders } from '../../server/engine/models/index.ts';
import { forge, tempDir } from './engine-fixtures.ts';

const root = tempDir('engine-worker');
let modelDir: string;
let engine: EngineWorker;
const logs: string[] = [];

const request = (name: string, overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: 'a moonlit harbour',
  negativePrompt: 'people',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 7,
  seed: '9007199254740993', // 2^53 + 1: must survive the thread boundary exactly
  scheduler: 'euler',
  outputPath: join(root.path, 'out', `${name}.png`),
  ...overrides,
});

beforeAll(async () => {
  modelDir = await forge(root.path, 'tiny', { preset: 'tiny' });
  engine = await EngineWorker.start({ modelDir, device: 'cpu', threads: 1, dataDir: join(root.path, 'data') }, { log: (line) => logs.push(line) });
});
afterAll(async () => {
  await engine?.close();
  root.remove();
});

describe('EngineWorker', () => {
  it('reports the loaded model and logs the provider it chose', () => {
    expect(engine.info()).toMatchObject({ modelDir, provider: 'cpu', isDemo: false });
    expect(engine.info().schedulers).toContain('dpmpp_2m');
    expect(logs.some((line) => /execution provider: cpu/.test(line))).toBe(true);
  });

  it('generates in the worker while the main event loop keeps ticking; progress arrives in order; PNG and sidecar written', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const events: GenerateProgress[] = [];
    const ticksAtProgress: number[] = [];
    try {
      const result = await engine.generate('job-1', request('first', { steps: 12, width: 256, height: 256 }), (p) => {
        events.push(p);
        ticksAtProgress.push(ticks);
      });
      expect(result.imagePath).toBe(join(root.path, 'out', 'first.png'));
      expect(result.seed).toBe('9007199254740993');
      const meta = await sharp(result.imagePath).metadata();
      expect([meta.width, meta.height]).toEqual([256, 256]);
      const sidecar = JSON.parse(readFileSync(result.sidecarPath, 'utf8'));
      expect(sidecar).toMatchObject({ prompt: 'a moonlit harbour', seed: '9007199254740993', steps: 12, scheduler: 'euler', width: 256, height: 256 });
      expect(result.timings.totalMs).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The interval callback ran between progress events, so the main thread was never blocked for the whole job.
    expect(ticksAtProgress.at(-1)! - ticksAtProgress[0]).toBeGreaterThan(0);
    expect(events[0].preview?.png).toBeInstanceOf(Uint8Array);
    expect((await sharp(events[0].preview!.png).metadata()).width).toBe(32);
  });

  it('the same request twice gives the same pixels', async () => {
    const a = await engine.generate('same-a', request('same-a'));
    const b = await engine.generate('same-b', request('same-b'));
    const [pa, pb] = await Promise.all([a, b].map((r) => sharp(r.imagePath).raw().toBuffer()));
    expect(Buffer.compare(pa, pb)).toBe(0);
  });

  it('cancel stops a running job before its next step and rejects with CANCELLED', async () => {
    const steps: number[] = [];
    const job = engine.generate('to-cancel', request('cancelled', { steps: 150, width: 256, height: 256 }), (p) => {
      steps.push(p.step);
      if (p.step === 1) engine.cancel('to-cancel');
    });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(steps.length).toBeLessThan(150);
    expect(existsSync(join(root.path, 'out', 'cancelled.png'))).toBe(false);
  });

  it('runs jobs one at a time; a waiting job cancelled never runs', async () => {
    const first = engine.generate('queued-1', request('queued-1'));
    const second = engine.generate('queued-2', request('queued-2'));
    engine.cancel('queued-2');
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(first).resolves.toMatchObject({ seed: '9007199254740993' });
    expect(existsSync(join(root.path, 'out', 'queued-2.png'))).toBe(false);
  });

  it('validation errors cross the thread boundary with their code and field', async () => {
    const error = await engine.generate('bad', request('bad', { width: 100 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'width' });
    expect((error as Error).message).toMatch(/multiple of 8/);
  });

  it('close() during a job cancels it, waits for it and settles its promise', async () => {
    const other = await EngineWorker.start({ modelDir, device: 'cpu', threads: 1, dataDir: join(root.path, 'data') }, { log: () => {} });
    let closing: Promise<void> | undefined;
    const job = other.generate('closing', request('closing', { steps: 150, width: 256, height: 256 }), (p) => {
      if (p.step === 1) closing = other.close();
    });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    await closing;
    await expect(other.generate('after', request('after'))).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
  });

  it('hardware.device naming an accelerator that cannot start is an error, not a silent CPU fallback', async () => {
    const usable = planProviders('cuda').candidates.length > 0;
    const start = EngineWorker.start({ modelDir, device: 'cuda', threads: 1, dataDir: join(root.path, 'data') }, { log: () => {} });
    if (usable) {
      const gpu = await start;
      expect(gpu.info().provider).toBe('cuda');
      await gpu.close();
    } else {
      await expect(start).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
    }
  });

  it('a missing model folder rejects start() with MODEL_MISSING', async () => {
    const error = await EngineWorker.start({ modelDir: join(root.path, 'nope'), device: 'cpu', threads: 1, dataDir: join(root.path, 'data') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_MISSING' });
    expect((error as Error).message).toContain(join(root.path, 'nope'));
  });
});
