/**
 * One engine benchmark in a fresh process (so the first image is a cold start): starts an EngineWorker on a model,
 * runs the given jobs one after the other, and prints one JSON line with per-step times, the pipeline's timings,
 * the main thread's event-loop delay while jobs ran, and the process's peak RSS (the worker thread included).
 * Usage: node bin/run-ts.mjs bench/engine-child.ts '<json ChildPlan>'
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EngineWorker } from '../server/worker/engine-client.ts';
import { BENCH_DIR, round } from './models.ts';

export interface ChildJob {
  width: number;
  height: number;
  steps: number;
}

export interface ChildPlan {
  modelDir: string;
  jobs: ChildJob[];
  threads?: number;
}

export interface ChildJobResult extends ChildJob {
  /** ms per denoising step from the progress events (step 1 includes nothing but its UNet call and scheduler step). */
  stepMs: number[];
  timings: Record<string, number>;
  /** Wall time of the generate call seen from the main thread. */
  wallMs: number;
}

export interface ChildResult {
  /** ms from process start to the model loaded (sessions open) and to the first image written. */
  readyMs: number;
  firstImageMs: number;
  jobs: ChildJobResult[];
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  maxRssMiB: number;
  /** 1/5/15-minute load averages at the end: other work on the machine slows every figure. */
  loadAverage: number[];
}

async function main(plan: ChildPlan): Promise<ChildResult> {
  const engine = await EngineWorker.start({ modelDir: plan.modelDir, device: 'cpu', threads: plan.threads ?? 0, dataDir: join(BENCH_DIR, 'data') }, { log: () => {} });
  const readyMs = performance.now();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const jobs: ChildJobResult[] = [];
  let firstImageMs = 0;
  for (const [index, job] of plan.jobs.entries()) {
    const elapsed: number[] = [];
    const started = performance.now();
    const result = await engine.generate(
      `bench-${index}`,
      {
        prompt: 'a lighthouse on a cliff at dusk, oil painting',
        negativePrompt: 'blurry',
        width: job.width,
        height: job.height,
        steps: job.steps,
        guidanceScale: 7.5,
        seed: String(index),
        scheduler: 'euler',
        outputPath: join(BENCH_DIR, 'out', `engine-${process.pid}-${index}.png`),
        saveMetadata: false,
      },
      (progress) => elapsed.push(progress.elapsedMs),
    );
    const wallMs = performance.now() - started;
    if (index === 0) firstImageMs = performance.now();
    const textEncodeMs = result.timings.textEncodeMs ?? 0;
    // elapsedMs counts from the pipeline's start: the first step also carries the text encoding.
    const stepMs = elapsed.map((ms, i) => round(i === 0 ? ms - textEncodeMs : ms - elapsed[i - 1]));
    jobs.push({ ...job, stepMs, timings: result.timings, wallMs: round(wallMs) });
  }
  delay.disable();
  await engine.close();
  return {
    readyMs: round(readyMs),
    firstImageMs: round(firstImageMs),
    jobs,
    eventLoopDelayMs: { p50: round(delay.percentile(50) / 1e6, 2), p99: round(delay.percentile(99) / 1e6, 2), max: round(delay.max / 1e6, 2) },
    maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
    loadAverage: loadavg().map((x) => round(x, 2)),
  };
}

const plan = JSON.parse(process.argv[2] ?? '{}') as ChildPlan;
process.stdout.write(`${JSON.stringify(await main(plan))}\n`);
