/**
 * Deck benchmark (`npm run bench -- deck` → bench/results/deck.json): a 54-card batch on the tiny model through
 * EngineWorker (54 generate calls queued at once, 512×720, few steps) against one image of the same settings,
 * after a warm-up image at that size. Per-job setup should be near zero: time per item ≈ a single image.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineWorker, type GenerateRequest, type GenerateResult } from '../server/worker/engine-client.ts';
import { BENCH_DIR, round, tinyModelDir } from './models.ts';

const ITEMS = 54;

function request(index: number, steps: number): GenerateRequest {
  return {
    prompt: `a playing card, card ${index + 1} of ${ITEMS}, ornate border, watercolour`,
    negativePrompt: 'blurry, text',
    width: 512,
    height: 720,
    steps,
    guidanceScale: 7.5,
    seed: String(1000 + index),
    scheduler: 'euler',
    outputPath: join(BENCH_DIR, 'out', `deck-${index}.png`),
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export async function runDeckBench(options: { steps?: number } = {}) {
  const steps = options.steps ?? 2;
  const engine = await EngineWorker.start({ modelDir: await tinyModelDir(), device: 'cpu', threads: 0, dataDir: join(BENCH_DIR, 'data') }, { log: () => {} });
  try {
    await engine.generate('warm-up', request(0, steps));
    const singleStarted = performance.now();
    const single = await engine.generate('single', request(0, steps));
    const singleMs = performance.now() - singleStarted;

    console.error(`deck: ${ITEMS} items…`);
    const batchStarted = performance.now();
    const results: GenerateResult[] = await Promise.all(Array.from({ length: ITEMS }, (_, i) => engine.generate(`deck-${i}`, request(i, steps))));
    const batchMs = performance.now() - batchStarted;
    const perItemMs = batchMs / ITEMS;
    // Time around the pipeline inside the worker (PNG + sidecar writing, messages), per item.
    const outsidePipelineMs = (batchMs - sum(results.map((r) => r.timings.totalMs))) / ITEMS;
    const outsideSessionRunMs = (batchMs - sum(results.map((r) => r.timings.sessionRunMs))) / ITEMS;
    return {
      notes: `tiny model, 512x720, ${steps} steps, euler, guidance 7.5 (CFG batch 2), PNG + sidecar written per item; after one warm-up image.`,
      items: ITEMS,
      single: { wallMs: round(singleMs), timings: single.timings },
      batch: {
        wallMs: round(batchMs),
        perItemMs: round(perItemMs),
        perItemVsSingle: round(perItemMs / singleMs, 3),
        perItemOutsidePipelineMs: round(outsidePipelineMs),
        perItemOutsideSessionRunMs: round(outsideSessionRunMs),
        meanSessionRunMs: round(sum(results.map((r) => r.timings.sessionRunMs)) / ITEMS),
        meanWriteMs: round(sum(results.map((r) => r.timings.writeMs ?? 0)) / ITEMS),
      },
    };
  } finally {
    await engine.close();
  }
}
