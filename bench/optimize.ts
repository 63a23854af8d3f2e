/**
 * `npm run bench -- optimize`: fp32 vs `models optimize --int8` vs `--fp16` on the forged tiny and full models at
 * 256²: UNet step time, load time, RSS, disk size, and the mean absolute pixel error (0–255) of the final image
 * against fp32 with the same seed, prompt and steps. Each variant runs in a fresh process. The optimised folders are
 * kept in $IMAGINEER_BENCH_DIR/optimize and reused. Forged weights are random: the pixel error is only indicative.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { optimizeModel, readOptimizeManifest, type OptimizeMethod } from '../server/engine/optimize/index.ts';
import { runChild } from './child.ts';
import { BENCH_DIR, fullModelDir, round, tinyModelDir } from './models.ts';
import type { OptimizeChildPlan, OptimizeChildResult } from './optimize-child.ts';

const SIZE = 256;
const PRESETS = { tiny: { steps: 6, model: tinyModelDir }, full: { steps: 3, model: fullModelDir } } as const;
type Variant = 'fp32' | OptimizeMethod;
const VARIANTS: Variant[] = ['fp32', 'int8', 'fp16'];

function folderMiB(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return round(total / 2 ** 20);
}

async function variantDir(source: string, preset: string, method: OptimizeMethod): Promise<{ dir: string; optimizeSeconds: number }> {
  const dir = join(BENCH_DIR, 'optimize', `${preset}-${method}`);
  if (!existsSync(dir)) {
    console.error(`optimize ${preset} --${method}…`);
    await optimizeModel({ source, out: dir, method, log: (line) => console.error(`  ${line}`) });
  }
  return { dir, optimizeSeconds: readOptimizeManifest(dir)!.seconds };
}

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runOptimizeBench(presets: (keyof typeof PRESETS)[] = ['tiny', 'full']): Promise<unknown> {
  mkdirSync(join(BENCH_DIR, 'optimize'), { recursive: true });
  const results: Record<string, unknown> = {};
  for (const preset of presets) {
    const { steps, model } = PRESETS[preset];
    const source = await model();
    const rows: Record<string, Record<string, unknown>> = {};
    let reference: Uint8Array | undefined;
    for (const variant of VARIANTS) {
      const { dir, optimizeSeconds } = variant === 'fp32' ? { dir: source, optimizeSeconds: undefined } : await variantDir(source, preset, variant);
      const rawOut = join(BENCH_DIR, 'optimize', `${preset}-${variant}.rgb`);
      console.error(`${preset} ${variant}: ${steps} steps at ${SIZE}²…`);
      const child = await runChild<OptimizeChildResult>('optimize-child.ts', { modelDir: dir, size: SIZE, steps, rawOut } satisfies OptimizeChildPlan);
      const pixels = new Uint8Array(readFileSync(rawOut));
      reference ??= pixels;
      rows[variant] = {
        diskMiB: folderMiB(dir),
        ...(optimizeSeconds !== undefined ? { optimizeSeconds } : {}),
        loadSeconds: round(child.loadMs / 1000, 2),
        // The first step at a size carries ORT's first-run setup; the mean is over the others.
        unetStepMs: round(mean(child.stepMs.slice(1))),
        firstStepMs: child.stepMs[0],
        textEncodeMs: child.textEncodeMs,
        decodeMs: child.decodeMs,
        rssAfterLoadMiB: child.rssAfterLoadMiB,
        maxRssMiB: child.maxRssMiB,
        meanAbsPixelErrorVsFp32: round(meanAbsoluteError(pixels, reference), 3),
        loadAverage: child.loadAverage,
      };
      console.error(`  ${JSON.stringify(rows[variant])}`);
    }
    results[preset] = { size: SIZE, steps, guidance: 7.5, scheduler: 'euler', seed: 42, variants: rows };
  }
  return results;
}
