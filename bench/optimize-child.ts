/**
 * One variant of the optimize benchmark in a fresh process (own load time and RSS): loads a model folder, makes one
 * image with a fixed seed, writes its RGB8 pixels to `rawOut`, prints one JSON line.
 * Usage: node bin/run-ts.mjs bench/optimize-child.ts '<json OptimizeChildPlan>'
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadModel } from '../server/engine/models/index.ts';
import { txt2img, validateTxt2Img } from '../server/engine/pipeline.ts';
import { round } from './models.ts';

export interface OptimizeChildPlan {
  modelDir: string;
  size: number;
  steps: number;
  rawOut: string;
}

export interface OptimizeChildResult {
  loadMs: number;
  /** Every UNet step (CFG batch 2); the first one includes the first-run setup at this size. */
  stepMs: number[];
  textEncodeMs: number;
  decodeMs: number;
  rssAfterLoadMiB: number;
  maxRssMiB: number;
  loadAverage: number[];
}

const plan = JSON.parse(process.argv[2] ?? '{}') as OptimizeChildPlan;
const model = await loadModel(plan.modelDir, { device: 'cpu', threads: 0 });
const rssAfterLoadMiB = round(process.memoryUsage().rss / 2 ** 20);
const settings = validateTxt2Img({
  prompt: 'a lighthouse on a cliff at dusk, oil painting',
  negativePrompt: 'blurry',
  width: plan.size,
  height: plan.size,
  steps: plan.steps,
  guidanceScale: 7.5,
  seed: '42',
  scheduler: 'euler',
});
const { image, timings } = await txt2img(model, settings);
writeFileSync(plan.rawOut, image.rgb);
await model.dispose();
const result: OptimizeChildResult = {
  loadMs: round(model.loadMs),
  stepMs: timings.stepMs.map((ms) => round(ms)),
  textEncodeMs: round(timings.textEncodeMs),
  decodeMs: round(timings.decodeMs),
  rssAfterLoadMiB,
  maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
  loadAverage: loadavg().map((x) => round(x, 2)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
