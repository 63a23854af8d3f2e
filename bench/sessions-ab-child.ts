/**
 * Two session variants in one process, their runs interleaved (A B A B …), so load from other work on the machine
 * hits both alike. Usage: node bin/run-ts.mjs bench/sessions-ab-child.ts '<json AbPlan>'
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { round } from './models.ts';
import { unetFeeds, type SessionPlan } from './sessions-child.ts';

export interface AbPlan {
  a: SessionPlan;
  b: SessionPlan;
  rounds: number;
}

export interface AbResult {
  loadMs: [number, number];
  runMs: [number[], number[]];
  meanRunMs: [number, number];
  loadAverage: number[];
}

async function main(plan: AbPlan): Promise<AbResult> {
  const open = async (p: SessionPlan) => {
    const started = performance.now();
    const session = await ort.InferenceSession.create(p.modelFile, { logSeverityLevel: 3, ...p.options });
    const loadMs = round(performance.now() - started);
    const feeds = unetFeeds(session, p);
    await session.run(feeds); // first run at the shape allocates
    return { session, feeds, loadMs };
  };
  const a = await open(plan.a);
  const b = await open(plan.b);
  const runMs: [number[], number[]] = [[], []];
  for (let i = 0; i < plan.rounds; i++) {
    for (const [k, s] of [a, b].entries()) {
      const started = performance.now();
      await s.session.run(s.feeds);
      runMs[k].push(round(performance.now() - started));
    }
  }
  await a.session.release();
  await b.session.release();
  const mean = (v: number[]) => round(v.reduce((x, y) => x + y, 0) / v.length);
  return { loadMs: [a.loadMs, b.loadMs], runMs, meanRunMs: [mean(runMs[0]), mean(runMs[1])], loadAverage: loadavg().map((x) => round(x, 2)) };
}

const plan = JSON.parse(process.argv[2] ?? '{}') as AbPlan;
process.stdout.write(`${JSON.stringify(await main(plan))}\n`);
