/**
 * One side of `npm run bench -- compare`, in a fresh process: the engine as it was before issue 9's optimisations
 * (`before`: ORT optimises at every load, no warm-up, every text chunk encoded, LoRA merged at every start, full VAE
 * only) or as it is now (`after`: optimised graphs and merged LoRA sets from the disk cache, warm-up, cached text
 * states, tiny decoder). It times what one deck item is made of, at the deck's own size; the parent projects a
 * 54-card deck from it.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodePng } from '../server/engine/image/index.ts';
import { loadModel, OptimizedModelCache, type LoadedModel } from '../server/engine/models/index.ts';
import { txt2img, validateTxt2Img, type PipelineTimings, type Txt2ImgParams } from '../server/engine/pipeline.ts';
import { encodePrompts } from '../server/engine/pipeline/prompt.ts';
import { warmUp } from '../server/engine/pipeline/warm-up.ts';
import { LoraSessions } from '../server/worker/lora-sessions.ts';

export interface ComparePlan {
  /** `after-int8`: `after` on the `models optimize --int8` folder (no LoRA: it cannot be merged into int8). */
  mode: 'before' | 'after' | 'after-int8';
  modelDir: string;
  width: number;
  height: number;
  /** DPM++ 2M steps timed (the per-step figure is the mean of those after the first). */
  cfgSteps: number;
  lcmSteps: number;
  loraDir: string;
  lcmLora: string;
  /** after: the optimised-graph cache and the TAESD decoder. */
  cacheDir?: string;
  tinyDecoder?: string;
  /** Only fill the cache (load + merge), time nothing else. */
  primeOnly?: boolean;
  /**
   * `standard`: the 25-step path on the base model; `lcm`: the fast-draft path with the LoRA merged. Separate
   * processes: a full-model LoRA merge next to a base session whose arena has grown at 512×768 passes 24 GiB.
   */
  phase?: 'standard' | 'lcm';
  outDir: string;
}

export interface JobFigures {
  textEncodeMs: number;
  stepMs: number[];
  decodeMs: number;
  decoder: string;
  sessionRunMs: number;
  totalMs: number;
  writeMs: number;
}

export interface CompareResult {
  mode: ComparePlan['mode'];
  loadMs: number;
  warmupMs: number;
  standard: JobFigures;
  /** A second job of the same batch: its negative prompt and style suffix are cached after the first. */
  standardSecond: JobFigures;
  /** encodePrompts for 5 deck prompts sharing one negative prompt and style suffix. */
  textBatchMs: number;
  textBatchEncoderRuns: number;
  loraSetupMs?: number;
  /** Load time of the fast-draft process (the standard one is `loadMs`). */
  lcmLoadMs?: number;
  lcmFull?: JobFigures;
  lcmTiny?: JobFigures;
  maxRssMiB: number;
  loadAverage: number[];
}

/** What the `lcm` phase measures; the parent folds it into the side's CompareResult. */
export interface LcmPhaseResult {
  mode: ComparePlan['mode'];
  loadMs: number;
  loraSetupMs: number;
  lcmFull: JobFigures;
  lcmTiny?: JobFigures;
  maxRssMiB: number;
  loadAverage: number[];
}

const NEGATIVE = 'blurry, low quality, deformed, watermark, text artifacts';
const STYLE = 'ornate playing card illustration, intricate border, rich colors';

async function job(model: LoadedModel, plan: ComparePlan, name: string, params: Partial<Txt2ImgParams>): Promise<JobFigures> {
  const settings = validateTxt2Img(
    {
      prompt: `${params.prompt ?? 'queen of hearts'}, ${STYLE}`,
      negativePrompt: NEGATIVE,
      width: plan.width,
      height: plan.height,
      steps: plan.cfgSteps,
      guidanceScale: 7.5,
      scheduler: 'dpmpp_2m',
      seed: 42,
      ...params,
    },
    { maxPixels: 2048 * 2048 },
  );
  const result = await txt2img(model, settings);
  const writeStarted = performance.now();
  await writeFile(join(plan.outDir, `compare-${plan.mode}-${name}.png`), await encodePng(result.image));
  return figures(result.timings, performance.now() - writeStarted);
}

function figures(t: PipelineTimings, writeMs: number): JobFigures {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { textEncodeMs: r(t.textEncodeMs), stepMs: t.stepMs.map(r), decodeMs: r(t.decodeMs), decoder: t.decoder, sessionRunMs: r(t.sessionRunMs), totalMs: r(t.totalMs), writeMs: r(writeMs) };
}

const DECK_PROMPTS = ['ace of spades', 'two of hearts', 'queen of clubs', 'jack of diamonds', 'joker'];

async function main(plan: ComparePlan): Promise<CompareResult | LcmPhaseResult | { primed: true; loadMs: number; loraSetupMs: number }> {
  const after = plan.mode !== 'before';
  const withLora = plan.mode !== 'after-int8';
  const cache = after && plan.cacheDir ? new OptimizedModelCache(plan.cacheDir, 100 * 2 ** 30, (l) => console.error(l)) : undefined;
  const loadStarted = performance.now();
  // before: ONNX Runtime's default thread count (threads < 0); after: every logical core (hardware.threads: 0).
  const threads = after ? 0 : -1;
  const model = await loadModel(plan.modelDir, { device: 'cpu', threads, cache, ...(after && plan.tinyDecoder ? { tinyDecoder: plan.tinyDecoder } : {}), log: (l) => console.error(l) });
  const loadMs = performance.now() - loadStarted;
  model.textEncoder.cacheEnabled = after;
  const loras = new LoraSessions(model, { provider: model.provider, threads, cache }, { directory: plan.loraDir, strict: false, cacheMb: 16_384, log: (l) => console.error(l) });
  const lcmModel = async () => {
    const started = performance.now();
    const lcm = await loras.modelFor([{ name: plan.lcmLora, weight: 1 }]);
    return { model: lcm.model, setupMs: performance.now() - started };
  };
  if (plan.primeOnly) return { primed: true, loadMs, loraSetupMs: withLora ? (await lcmModel()).setupMs : 0 };

  let warmupMs = 0;
  if (after && plan.phase !== 'lcm') {
    // What the engine worker does right after loading (hardware.warmup), before any job arrives.
    warmupMs = await warmUp(model, plan, 2048 * 2048);
  }
  if (plan.phase === 'lcm') {
    const lcm = await lcmModel();
    const lcmParams = { scheduler: 'lcm' as const, steps: plan.lcmSteps, guidanceScale: 1 };
    const lcmFull = await job(lcm.model, plan, 'lcm-full', { ...lcmParams, prompt: 'jack of clubs', decoder: 'full' });
    const lcmTiny = after && model.tinyDecoder ? await job(lcm.model, plan, 'lcm-tiny', { ...lcmParams, prompt: 'ace of diamonds', steps: 1, decoder: 'tiny' }) : undefined;
    const result: LcmPhaseResult = { mode: plan.mode, loadMs: Math.round(loadMs), loraSetupMs: Math.round(lcm.setupMs), lcmFull, ...(lcmTiny ? { lcmTiny } : {}), maxRssMiB: maxRssMiB(), loadAverage: loadAverage() };
    return result;
  }
  const textRunsBefore = model.textEncoder.session.runCount;
  const textStarted = performance.now();
  for (const prompt of DECK_PROMPTS) await encodePrompts(model, `${prompt}, ${STYLE}`, NEGATIVE);
  const textBatchMs = performance.now() - textStarted;
  const textBatchEncoderRuns = model.textEncoder.session.runCount - textRunsBefore;

  const standard = await job(model, plan, 'standard', { prompt: 'queen of hearts' });
  const standardSecond = await job(model, plan, 'standard-2', { prompt: 'king of spades', steps: 1 });
  return {
    mode: plan.mode,
    loadMs: Math.round(loadMs),
    warmupMs: Math.round(warmupMs),
    textBatchMs: Math.round(textBatchMs),
    textBatchEncoderRuns,
    standard,
    standardSecond,
    maxRssMiB: maxRssMiB(),
    loadAverage: loadAverage(),
  };
}

const maxRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const loadAverage = () => loadavg().map((x) => Math.round(x * 100) / 100);

const plan = JSON.parse(process.argv[2] ?? '{}') as ComparePlan;
const result = await main(plan);
console.log(JSON.stringify(result));
process.exit(0);
