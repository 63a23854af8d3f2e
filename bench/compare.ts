/**
 * `npm run bench -- compare` → bench/results/compare.json: issue 9's before/after table, both sides measured in one
 * run on the full forged SD1.5 at the card deck's size (sets/config.yaml: 512×720). Each side runs in a fresh
 * process (compare-child.ts); a first `after` process fills the optimised-graph cache, as a first start would.
 * A whole 54-card deck at 25 steps takes hours on this CPU, so deck times are projected from the measured parts:
 * setup + 54 × (text + steps × step + decode + PNG write), every part a measurement of this run.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgeLcmLora } from '../server/engine/forge/lcm-lora.ts';
import { forgeTaesd } from '../server/engine/forge/taesd.ts';
import { runChild } from './child.ts';
import type { ComparePlan, CompareResult, JobFigures, LcmPhaseResult } from './compare-child.ts';
import { countUnetStepFlops } from './flops.ts';
import { measureMatmulRate } from './machine.ts';
import { BENCH_DIR, fullModelDir, round } from './models.ts';

const DECK = 54;
const STANDARD_STEPS = 25;
const LCM_STEPS = 4;
const LCM_LORA = 'lcm-lora-sdv1-5';

/** The MatMul rate of bench/results/machine.json (`npm run bench -- machine`), 0 when absent. */
function machineJsonRate(): number {
  try {
    const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'machine.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { result: { matmul: { gflops: number } } }).result.matmul.gflops;
  } catch {
    return 0;
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** The mean step after the first: ORT's first run at a shape pays for allocations the later ones do not. */
const stepMs = (job: JobFigures) => mean(job.stepMs.length > 1 ? job.stepMs.slice(1) : job.stepMs);

export async function runCompareBench(options: { width?: number; height?: number; cfgSteps?: number } = {}) {
  const width = options.width ?? 512;
  const height = options.height ?? 720;
  const modelDir = await fullModelDir();
  const loraDir = join(BENCH_DIR, 'loras-full');
  const lcmFile = join(loraDir, `${LCM_LORA}.safetensors`);
  if (!existsSync(lcmFile)) {
    mkdirSync(loraDir, { recursive: true });
    forgeLcmLora(lcmFile, { architecture: 'full', seed: 0 });
  }
  const taesdDir = join(BENCH_DIR, 'taesd');
  if (!existsSync(join(taesdDir, 'forge.json'))) forgeTaesd({ outDir: taesdDir, seed: 0 });
  const outDir = join(BENCH_DIR, 'out');
  mkdirSync(outDir, { recursive: true });

  const base: Omit<ComparePlan, 'mode'> = {
    modelDir,
    width,
    height,
    cfgSteps: options.cfgSteps ?? 3,
    lcmSteps: LCM_STEPS,
    loraDir,
    lcmLora: LCM_LORA,
    cacheDir: join(BENCH_DIR, 'compare-cache'),
    tinyDecoder: taesdDir,
    outDir,
  };
  const rateBefore = await measureMatmulRate();
  console.error('compare: filling the optimised-graph cache (a first start)…');
  const primed = await runChild<{ loadMs: number; loraSetupMs: number }>('compare-child.ts', { ...base, mode: 'after', primeOnly: true }, 30 * 60_000);
  console.error(`  ${JSON.stringify(primed)}`);
  // Each side in two fresh processes: the standard path, then the fast-draft path (see ComparePlan.phase).
  const measure = async (mode: ComparePlan['mode'], plan: Omit<ComparePlan, 'mode'>, withLcm: boolean): Promise<CompareResult> => {
    console.error(`compare: ${mode}, standard…`);
    const standard = await runChild<CompareResult>('compare-child.ts', { ...plan, mode, phase: 'standard' }, 30 * 60_000);
    console.error(`  ${JSON.stringify(standard)}`);
    if (!withLcm) return standard;
    console.error(`compare: ${mode}, fast draft…`);
    const lcm = await runChild<LcmPhaseResult>('compare-child.ts', { ...plan, mode, phase: 'lcm' }, 30 * 60_000);
    console.error(`  ${JSON.stringify(lcm)}`);
    return { ...standard, loraSetupMs: lcm.loraSetupMs, lcmLoadMs: lcm.loadMs, lcmFull: lcm.lcmFull, ...(lcm.lcmTiny ? { lcmTiny: lcm.lcmTiny } : {}), maxRssMiB: Math.max(standard.maxRssMiB, lcm.maxRssMiB) };
  };
  const before = await measure('before', base, true);
  const after = await measure('after', base, true);
  // `models optimize --int8` of the same model, when the optimize bench has made it: the standard path only.
  const int8Dir = join(BENCH_DIR, 'optimize', 'full-int8');
  let int8: CompareResult | undefined;
  if (existsSync(join(int8Dir, 'imagineer-optimize.json'))) {
    console.error('compare: after on the int8 model (a first start, then the measured one)…');
    await runChild('compare-child.ts', { ...base, modelDir: int8Dir, mode: 'after-int8', primeOnly: true }, 30 * 60_000);
    int8 = await measure('after-int8', { ...base, modelDir: int8Dir }, false);
  }
  const rateAfter = await measureMatmulRate();
  // The best rate seen: a measurement disturbed by other work on the host only lowers it (one run read 86 against 181).
  const rate = Math.max(rateBefore.gflops, rateAfter.gflops, machineJsonRate());

  const unetFile = join(modelDir, 'unet/model.onnx');
  const cfgGflop = countUnetStepFlops(unetFile, { width, height, batch: 2 }).total / 1e9;
  const lcmGflop = countUnetStepFlops(unetFile, { width, height, batch: 1 }).total / 1e9;

  const side = (r: CompareResult) => {
    const cfgStep = stepMs(r.standard);
    const lcmStep = r.lcmFull ? stepMs(r.lcmFull) : NaN;
    const loraSetupMs = r.loraSetupMs ?? NaN;
    // Warm parts per item: the second job's text encoding (cached after the first job where the cache is on) and decode.
    const text = r.standardSecond.textEncodeMs;
    const write = r.standard.writeMs;
    const fullDecode = r.standardSecond.decodeMs;
    // Costs paid once per engine start: loading and, without warm-up, the first run at the deck's size.
    const firstRunExtra = r.warmupMs > 0 ? 0 : Math.max(0, r.standard.stepMs[0] - cfgStep) + Math.max(0, r.standard.decodeMs - fullDecode);
    const item = (steps: number, step: number, decode: number) => text + steps * step + decode + write;
    const deck = (setup: number, perItem: number) => round((setup + DECK * perItem) / 60_000, 1);
    const standardItem = item(STANDARD_STEPS, cfgStep, fullDecode);
    const lcmFullItem = r.lcmFull ? item(LCM_STEPS, lcmStep, fullDecode) : undefined;
    const lcmTinyItem = r.lcmTiny ? item(LCM_STEPS, lcmStep, r.lcmTiny.decodeMs) : undefined;
    const overhead = (job: JobFigures) => round((100 * (job.totalMs + job.writeMs - job.sessionRunMs)) / (job.totalMs + job.writeMs), 2);
    return {
      loadS: round(r.loadMs / 1000, 1),
      warmupS: round(r.warmupMs / 1000, 1),
      firstRunExtraS: round(firstRunExtra / 1000, 1),
      loraSetupS: round(loraSetupMs / 1000, 1),
      cfgStepS: round(cfgStep / 1000, 2),
      cfgEfficiencyPct: round((100 * cfgGflop) / (cfgStep / 1000) / rate, 1),
      lcmStepS: r.lcmFull ? round(lcmStep / 1000, 2) : null,
      lcmEfficiencyPct: r.lcmFull ? round((100 * lcmGflop) / (lcmStep / 1000) / rate, 1) : null,
      textBatch: { ms: r.textBatchMs, encoderRuns: r.textBatchEncoderRuns, prompts: 5 },
      textEncodeMs: text,
      textEncodeFirstMs: r.standard.textEncodeMs,
      fullDecodeS: round(fullDecode / 1000, 2),
      tinyDecodeS: r.lcmTiny ? round(r.lcmTiny.decodeMs / 1000, 3) : null,
      writeMs: write,
      overheadPct: { standard: overhead(r.standard), lcm: r.lcmFull ? overhead(r.lcmFull) : null },
      itemS: {
        standard25: round(standardItem / 1000, 1),
        lcm4Full: lcmFullItem === undefined ? null : round(lcmFullItem / 1000, 1),
        lcm4Tiny: lcmTinyItem === undefined ? null : round(lcmTinyItem / 1000, 1),
      },
      deckMin: {
        standard25: deck(r.loadMs + firstRunExtra, standardItem),
        lcm4Full: lcmFullItem === undefined ? null : deck((r.lcmLoadMs ?? r.loadMs) + loraSetupMs, lcmFullItem),
        lcm4Tiny: lcmTinyItem === undefined ? null : deck((r.lcmLoadMs ?? r.loadMs) + loraSetupMs, lcmTinyItem),
      },
      maxRssMiB: r.maxRssMiB,
      loadAverage: r.loadAverage,
    };
  };

  return {
    notes:
      `full forged SD1.5 at ${width}×${height} (card_deck), ${base.cfgSteps} DPM++ 2M steps (CFG 7.5, batch 2) and ${LCM_STEPS} LCM steps ` +
      `(guidance 1, batch 1, forged LCM-LoRA rank 64 merged) timed per side; deck = setup + ${DECK} × (text + steps × step + decode + write), ` +
      'projected from these measurements. before = no optimised-graph cache (ORT optimises at load), LoRA merged at start, no warm-up, ' +
      'no text-state cache, full VAE only; after = all of issue 9 (cache filled by a first start, timed separately as `primed`).',
    matmulGflops: { before: rateBefore.gflops, after: rateAfter.gflops, machineJson: machineJsonRate(), used: rate },
    unetGflopPerStep: { cfgBatch2: round(cfgGflop, 0), lcmBatch1: round(lcmGflop, 0) },
    primed: { loadS: round(primed.loadMs / 1000, 1), loraSetupS: round(primed.loraSetupMs / 1000, 1) },
    before: side(before),
    after: side(after),
    ...(int8 ? { afterInt8: side(int8) } : {}),
    raw: { before, after, ...(int8 ? { afterInt8: int8 } : {}) },
  };
}
