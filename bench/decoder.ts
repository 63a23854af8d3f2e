/**
 * Decoder benchmark (`npm run bench -- decoder` → bench/results/decoder.json): the forged full-size SD1.5 VAE
 * decoder against the forged TAESD tiny decoder at 256² and 512², on the same latents, and the mean absolute pixel
 * difference (0–255) of the tiny-decoded image against the full-decoded one. Both have random weights: the
 * difference says nothing about TAESD's real quality, only that the two decoders are measured on the same input.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { forgeTaesd } from '../server/engine/forge/taesd.ts';
import { decodedToRgb8 } from '../server/engine/image/index.ts';
import { ModelSession, TinyDecoderModel, VaeDecoderModel } from '../server/engine/models/index.ts';
import { VAE_SCALING_FACTOR } from '../server/engine/pipeline.ts';
import { createGenerator } from '../server/engine/rng/index.ts';
import { BENCH_DIR, fullModelDir, round } from './models.ts';

const SIZES = [256, 512];
const TINY_RUNS = 3;

interface SizeResult {
  size: string;
  /** One timed run after a warm-up run at this size (the first run at a new shape pays for allocation). */
  fullMs: number;
  /** Median of TINY_RUNS timed runs after a warm-up. */
  tinyMs: number;
  speedup: number;
  /** Mean |tiny − full| over all RGB8 values, 0–255 (random weights: not a quality figure). */
  meanAbsDiff: number;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

export async function runDecoderBench(): Promise<unknown> {
  const fullDir = await fullModelDir();
  const taesdDir = join(BENCH_DIR, 'taesd');
  if (!existsSync(join(taesdDir, 'forge.json'))) forgeTaesd({ outDir: taesdDir, seed: 0 });
  const settings = { provider: 'cpu' as const, threads: 0 };
  const vae = VaeDecoderModel.create(await ModelSession.open(join(fullDir, 'vae_decoder', 'model.onnx'), settings, fullDir));
  const tiny = await TinyDecoderModel.open(taesdDir, settings);
  const results: SizeResult[] = [];
  try {
    for (const size of SIZES) {
      const h = size / 8;
      const w = size / 8;
      // UNet-space latents (std ≈ 1, what the denoising loop ends on); the full VAE takes them ÷ 0.18215.
      const latents = createGenerator('torch', 1234n).randn(4 * h * w);
      const scaled = latents.map((v) => v / VAE_SCALING_FACTOR);
      console.error(`decoder bench ${size}²: full VAE…`);
      await vae.decode(scaled, h, w);
      const full = await timed(() => vae.decode(scaled, h, w));
      console.error(`decoder bench ${size}²: tiny…`);
      await tiny.decode(latents, h, w);
      const tinyRuns: number[] = [];
      let tinyImage: Float32Array | undefined;
      for (let i = 0; i < TINY_RUNS; i++) {
        const run = await timed(() => tiny.decode(latents, h, w));
        tinyRuns.push(run.ms);
        tinyImage = run.value;
      }
      const tinyMs = tinyRuns.sort((a, b) => a - b)[Math.floor(TINY_RUNS / 2)];
      const a = decodedToRgb8(full.value, size, size);
      const b = decodedToRgb8(tinyImage!, size, size);
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
      results.push({ size: `${size}x${size}`, fullMs: round(full.ms), tinyMs: round(tinyMs), speedup: round(full.ms / tinyMs), meanAbsDiff: round(sum / a.length, 2) });
      console.error(JSON.stringify(results.at(-1)));
    }
  } finally {
    await vae.session.dispose();
    await tiny.dispose();
  }
  return {
    fullModel: fullDir,
    tinyDecoder: tiny.file,
    note: 'forged random weights on both sides: meanAbsDiff measures nothing about real TAESD quality',
    sizes: results,
  };
}
