/**
 * Session-options benchmark (`npm run bench -- sessions` → bench/results/sessions.json): the options that matter on
 * CPU, tried on the full UNet at 256×256 (CFG batch 2), each variant in a fresh process. Engine settings today:
 * graphOptimizationLevel 'all', enableMemPattern false, arena on, sequential, ORT's default thread count.
 * Variants other than the optimisation level open the model ORT saved after optimising it once
 * (optimizedModelFilePath) with optimisation disabled: same graph, and a load that does not pay for optimising.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import { runChild } from './child.ts';
import { BENCH_DIR, fullModelDir } from './models.ts';
import type { AbPlan, AbResult } from './sessions-ab-child.ts';
import type { SessionPlan, SessionResult } from './sessions-child.ts';

type Options = ort.InferenceSession.SessionOptions;

const ENGINE: Options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', enableMemPattern: false };

/** ORT writes weights over 2 GB to a side file; the name is relative to the optimised model. */
function saveOptimized(file: string): Options {
  return {
    optimizedModelFilePath: file,
    extra: { session: { optimized_model_external_initializers_file_name: 'model.optimized.weights', optimized_model_external_initializers_min_size_in_bytes: '1024' } },
  };
}

export async function runSessionsBench(options: { size?: number; runs?: number } = {}) {
  const size = options.size ?? 256;
  const runs = options.runs ?? 2;
  const unetFile = join(await fullModelDir(), 'unet/model.onnx');
  const cacheDir = join(BENCH_DIR, 'optimized');
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const optimizedFile = join(cacheDir, 'model.optimized.onnx');

  const results: Record<string, SessionResult & { options: Options }> = {};
  const variant = async (name: string, modelFile: string, variantOptions: Options) => {
    console.error(`sessions: ${name}…`);
    const plan: SessionPlan = { modelFile, options: variantOptions, height: size, width: size, runs };
    results[name] = { ...(await runChild<SessionResult>('sessions-child.ts', plan)), options: variantOptions };
    console.error(`  ${JSON.stringify(results[name])}`);
  };

  await variant('engine (all, memPattern off) + save optimized model', unetFile, { ...ENGINE, ...saveOptimized(optimizedFile) });
  if (!existsSync(optimizedFile)) throw new Error(`ORT did not write ${optimizedFile}`);
  const cached: Options = { ...ENGINE, graphOptimizationLevel: 'disabled' };
  await variant('cached optimized model, level disabled', optimizedFile, cached);
  await variant('cached + intraOpNumThreads 1', optimizedFile, { ...cached, intraOpNumThreads: 1 });
  await variant('cached + intraOpNumThreads 2', optimizedFile, { ...cached, intraOpNumThreads: 2 });
  await variant('cached + enableCpuMemArena false', optimizedFile, { ...cached, enableCpuMemArena: false });
  await variant('cached + enableMemPattern true', optimizedFile, { ...cached, enableMemPattern: true });
  await variant('cached + executionMode parallel', optimizedFile, { ...cached, executionMode: 'parallel' });
  await variant('level extended (from the original)', unetFile, { ...ENGINE, graphOptimizationLevel: 'extended' });
  await variant('level basic (from the original)', unetFile, { ...ENGINE, graphOptimizationLevel: 'basic' });

  const fastest = Object.entries(results).sort((a, b) => a[1].meanRunMs - b[1].meanRunMs)[0][0];
  return {
    notes: `full UNet, ${size}x${size}, CFG batch 2; loadMs = InferenceSession.create; firstRunMs = first run at the shape; meanRunMs over ${runs} later runs. Shared 2-core machine: noisy.`,
    fastest,
    results,
  };
}

/**
 * `npm run bench -- sessions-ab`: pairs of variants with their runs interleaved in one process (needs the optimised
 * model that `sessions` saved): fairer than `sessions` on a machine other work keeps busy.
 */
export async function runSessionsAbBench(options: { size?: number; rounds?: number } = {}) {
  const size = options.size ?? 256;
  const rounds = options.rounds ?? 3;
  const unetFile = join(await fullModelDir(), 'unet/model.onnx');
  const optimizedFile = join(BENCH_DIR, 'optimized', 'model.optimized.onnx');
  if (!existsSync(optimizedFile)) throw new Error(`run \`npm run bench -- sessions\` first (it saves ${optimizedFile})`);
  const cached: Options = { ...ENGINE, graphOptimizationLevel: 'disabled' };
  const pairs: [string, SessionPlan['modelFile'], Options, SessionPlan['modelFile'], Options][] = [
    ['cached optimized (all) vs basic', optimizedFile, cached, unetFile, { ...ENGINE, graphOptimizationLevel: 'basic' }],
    ['cached arena on vs off', optimizedFile, cached, optimizedFile, { ...cached, enableCpuMemArena: false }],
    ['cached threads default vs 1', optimizedFile, cached, optimizedFile, { ...cached, intraOpNumThreads: 1 }],
    ['cached memPattern off vs on', optimizedFile, cached, optimizedFile, { ...cached, enableMemPattern: true }],
    ['cached sequential vs parallel', optimizedFile, cached, optimizedFile, { ...cached, executionMode: 'parallel' }],
    ['cached optimized (all) vs extended', optimizedFile, cached, unetFile, { ...ENGINE, graphOptimizationLevel: 'extended' }],
  ];
  const results: Record<string, AbResult & { a: Options; b: Options }> = {};
  for (const [name, fileA, a, fileB, b] of pairs) {
    console.error(`sessions-ab: ${name}…`);
    const plan: AbPlan = { a: { modelFile: fileA, options: a, height: size, width: size, runs: 0 }, b: { modelFile: fileB, options: b, height: size, width: size, runs: 0 }, rounds };
    results[name] = { ...(await runChild<AbResult>('sessions-ab-child.ts', plan)), a, b };
    console.error(`  ${JSON.stringify(results[name].meanRunMs)}`);
  }
  return { notes: `full UNet ${size}x${size}, CFG batch 2; runs interleaved A B A B (${rounds} rounds) after one warm-up run each.`, results };
}
