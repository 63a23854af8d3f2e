/**
 * One ONNX Runtime session-options variant in a fresh process: open a model with the given options, run it once
 * (the first run at a shape allocates), then `runs` more times, on CFG-batch-2 UNet inputs of the given size.
 * Prints one JSON line. Usage: node bin/run-ts.mjs bench/sessions-child.ts '<json SessionPlan>'
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { round } from './models.ts';

export interface SessionPlan {
  modelFile: string;
  options: ort.InferenceSession.SessionOptions;
  height: number;
  width: number;
  runs: number;
}

export interface SessionResult {
  loadMs: number;
  firstRunMs: number;
  runMs: number[];
  meanRunMs: number;
  maxRssMiB: number;
  /** 1/5/15-minute load averages at the end: other work on the machine slows every figure. */
  loadAverage: number[];
}

export function unetFeeds(session: ort.InferenceSession, plan: SessionPlan): Record<string, ort.Tensor> {
  const batch = 2;
  const h = plan.height / 8;
  const w = plan.width / 8;
  const sample = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i));
  const hidden = new Float32Array(batch * 77 * 768).map((_, i) => Math.cos(i) * 0.5);
  const timestepMeta = session.inputMetadata.find((m) => m.name === 'timestep');
  const timestep =
    timestepMeta?.isTensor && timestepMeta.type === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from([500n]), [1])
      : new ort.Tensor('float32', Float32Array.from([500, 500]), [batch]);
  return {
    sample: new ort.Tensor('float32', sample, [batch, 4, h, w]),
    timestep,
    encoder_hidden_states: new ort.Tensor('float32', hidden, [batch, 77, 768]),
  };
}

async function main(plan: SessionPlan): Promise<SessionResult> {
  const loadStarted = performance.now();
  const session = await ort.InferenceSession.create(plan.modelFile, { logSeverityLevel: 3, ...plan.options });
  const loadMs = performance.now() - loadStarted;
  const feeds = unetFeeds(session, plan);
  const time = async () => {
    const started = performance.now();
    await session.run(feeds);
    return round(performance.now() - started);
  };
  const firstRunMs = await time();
  const runMs: number[] = [];
  for (let i = 0; i < plan.runs; i++) runMs.push(await time());
  await session.release();
  return {
    loadMs: round(loadMs),
    firstRunMs,
    runMs,
    meanRunMs: round(runMs.reduce((a, b) => a + b, 0) / runMs.length),
    maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
    loadAverage: loadavg().map((x) => round(x, 2)),
  };
}

if (process.argv[1]?.endsWith('sessions-child.ts')) {
  const plan = JSON.parse(process.argv[2] ?? '{}') as SessionPlan;
  process.stdout.write(`${JSON.stringify(await main(plan))}\n`);
}
