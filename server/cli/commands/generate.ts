import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/index.ts';
import { imageSeeds, validateTxt2Img, ValidationError, type Txt2ImgSettings } from '../../engine/pipeline.ts';
import { SCHEDULER_NAMES, type SchedulerName } from '../../engine/schedulers/index.ts';
import { RNG_NAMES, type RngName } from '../../engine/rng/index.ts';
import { EngineError, EngineWorker, type GenerateProgress, type GenerateResult } from '../../worker/engine-client.ts';
import { engineOptionsFromConfig } from '../../worker/engine-options.ts';
import { existsSync } from 'node:fs';
import type { DecoderName } from '../../engine/pipeline/validate.ts';
import { applyPreset, GENERATION_PRESETS, lcmLoraMissingMessage, type GenerationPreset } from '../../presets/index.ts';
import type { Command } from '../command.ts';
import { UsageError, UserFacingError } from '../errors.ts';

const flags = {
  prompt: { type: 'string' },
  'negative-prompt': { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  seed: { type: 'string' },
  scheduler: { type: 'string' },
  rng: { type: 'string' },
  model: { type: 'string' },
  output: { type: 'string' },
  'num-images': { type: 'string' },
  config: { type: 'string' },
  lora: { type: 'string', multiple: true },
  'lora-dir': { type: 'string' },
  preset: { type: 'string' },
  decoder: { type: 'string' },
} as const;

interface Plan {
  settings: Txt2ImgSettings;
  seeds: bigint[];
  outputs: string[];
  modelDir: string;
  loras: { name: string; weight: number }[];
  loraDir: string;
  config: ReturnType<typeof loadConfig>;
  preset: GenerationPreset;
}

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

const cliFlagOf: Record<string, string> = {
  negativePrompt: 'negative-prompt',
  guidanceScale: 'guidance',
  numImages: 'num-images',
};

function plan(args: string[]): Plan {
  let values;
  try {
    ({ values } = parseArgs({ args, options: flags, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  if (values.prompt === undefined) throw new UsageError('missing --prompt');
  const config = loadConfig(values.config ? { path: values.config } : {});
  const g = config.generation;
  try {
    const settings = validateTxt2Img(
      {
        prompt: values.prompt,
        negativePrompt: values['negative-prompt'] ?? g.negative_prompt,
        width: number('width', values.width, g.width),
        height: number('height', values.height, g.height),
        steps: number('steps', values.steps, g.steps),
        guidanceScale: number('guidance', values.guidance, g.guidance_scale),
        seed: values.seed,
        rng: (values.rng ?? g.rng) as RngName,
        scheduler: (values.scheduler ?? g.scheduler) as SchedulerName,
      },
      { maxPixels: g.max_pixels },
    );
    const seeds = imageSeeds(settings.seed, number('num-images', values['num-images'], g.num_images), settings.rng);
    const outputs = outputPaths(values.output, config.output.directory, seeds);
    const modelDir = values.model === undefined ? config.model.default : values.model === 'demo' ? 'demo' : resolve(values.model);
    const loraDir = values['lora-dir'] === undefined ? config.lora.directory : resolve(values['lora-dir']);
    const preset = presetFlag(values.preset);
    const explicitDecoder = values.decoder === undefined ? undefined : (validateTxt2Img({ ...settings, decoder: values.decoder as DecoderName }).decoder);
    const withPreset = applyPreset(preset, { ...settings, loras: (values.lora ?? []).map(parseLora), decoder: explicitDecoder ?? 'full' }, config.generation.fast_draft, explicitDecoder);
    if (preset === 'fast_draft' && modelDir !== 'demo' && !existsSync(join(loraDir, `${config.generation.fast_draft.lora}.safetensors`))) {
      throw new UserFacingError(lcmLoraMissingMessage(config.generation.fast_draft.lora));
    }
    const { loras, ...presetSettings } = withPreset;
    return { settings: { ...presetSettings, scheduler: presetSettings.scheduler as SchedulerName }, seeds, outputs, modelDir, loras, loraDir, config, preset };
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`--${cliFlagOf[error.field] ?? error.field}: ${error.message}`);
    throw error;
  }
}

function presetFlag(text: string | undefined): GenerationPreset {
  const preset = (text ?? 'standard').replace(/-/g, '_');
  if (!(GENERATION_PRESETS as readonly string[]).includes(preset)) throw new UsageError(`--preset must be standard or fast-draft, got ${JSON.stringify(text)}`);
  return preset as GenerationPreset;
}

/** `NAME:WEIGHT`, or `NAME` at weight 1. A name is a file stem in the LoRA folder, never a path. */
function parseLora(text: string): { name: string; weight: number } {
  const colon = text.lastIndexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const weightText = colon < 0 ? '1' : text.slice(colon + 1);
  const weight = Number(weightText);
  if (weightText.trim() === '' || !Number.isFinite(weight)) throw new UsageError(`--lora ${text}: the weight after ':' must be a number`);
  if (name === '') throw new UsageError(`--lora ${text}: a LoRA name is needed (NAME or NAME:WEIGHT)`);
  return { name, weight };
}

/** `--output x.png` names the only image; with several, x-1.png, x-2.png, …. Default: outputs/single/<time>_<seed>.png. */
function outputPaths(output: string | undefined, outputDir: string, seeds: bigint[]): string[] {
  if (output === undefined) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return seeds.map((seed) => join(outputDir, 'single', `${stamp}_${seed}.png`));
  }
  if (extname(output).toLowerCase() !== '.png') throw new UsageError(`--output must name a .png file, got ${output}`);
  const file = resolve(output);
  if (seeds.length === 1) return [file];
  const stem = basename(file, extname(file));
  return seeds.map((_seed, i) => join(dirname(file), `${stem}-${i + 1}.png`));
}

/** One line redrawn in place on a terminal; a line per 10 % otherwise (logs, CI). */
function progressPrinter(label: string) {
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  return (p: GenerateProgress) => {
    const width = 24;
    const done = Math.round((p.step / p.totalSteps) * width);
    const line = `${label} [${'#'.repeat(done)}${'-'.repeat(width - done)}] ${p.step}/${p.totalSteps} ${(p.elapsedMs / 1000).toFixed(1)}s, eta ${(p.etaMs / 1000).toFixed(1)}s`;
    if (tty) {
      process.stderr.write(`\r${line}${p.step === p.totalSteps ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor((p.step / p.totalSteps) * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      process.stderr.write(`${line}\n`);
    }
  };
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Generate images from a prompt (txt2img) and write each PNG with a JSON sidecar.',
  usage:
    'imagineer generate --prompt TEXT [options]\n\n' +
    '  --prompt TEXT            what to draw\n' +
    '  --negative-prompt TEXT   what to avoid (default: generation.negative_prompt)\n' +
    '  --width N --height N     multiples of 8 in 64 … 2048 (default 512)\n' +
    '  --steps N                1 … 150\n' +
    '  --guidance G             classifier-free guidance 0 … 30 (≤ 1: no unconditional pass)\n' +
    '  --seed S                 0 … 18446744073709551615 (default: random, always recorded)\n' +
    `  --scheduler NAME         ${SCHEDULER_NAMES.join(' | ')}\n` +
    `  --rng NAME               ${RNG_NAMES.join(' | ')} (torch = torch.randn on the CPU)\n` +
    '  --model DIR              SD1.5 ONNX export folder, or "demo" (default: model.default)\n' +
    '  --output FILE.png        where to write (several images: FILE-1.png, …); sidecar FILE.json\n' +
    '  --num-images N           seeds S, S+1, …\n' +
    '  --lora NAME[:WEIGHT]     apply a LoRA of the LoRA folder (repeatable; weight default 1)\n' +
    '  --lora-dir DIR           the LoRA folder (default: lora.directory)\n' +
    '  --preset fast-draft      LCM-LoRA + LCM scheduler, 4 steps, guidance 1 (generation.fast_draft); replaces\n' +
    '                           --steps, --guidance and --scheduler; needs lcm-lora-sdv1-5.safetensors in the LoRA folder\n' +
    '  --decoder full|tiny      VAE decoder (tiny = TAESD; default full, fast-draft: generation.fast_draft.decoder)\n' +
    '  --config FILE            another config.yaml',
  async run(args) {
    const { settings, seeds, outputs, modelDir, loras, loraDir, config, preset } = plan(args);
    let engine: EngineWorker;
    try {
      // No warm-up: the CLI runs its own size straight away.
      engine = await EngineWorker.start(engineOptionsFromConfig(config, { modelDir, loraDir, warmup: undefined }));
    } catch (error) {
      throw asUserFacing(error);
    }
    try {
      for (const [i, seed] of seeds.entries()) {
        const label = seeds.length > 1 ? `image ${i + 1}/${seeds.length}` : 'generating';
        const result = await engine.generate(
          `cli-${i}`,
          {
            ...settings,
            seed: String(seed),
            outputPath: outputs[i],
            saveMetadata: config.output.save_metadata,
            ...(loras.length > 0 ? { loras } : {}),
            ...(preset === 'standard' ? {} : { extraMetadata: { preset } }),
          },
          progressPrinter(label),
        );
        if (i === 0) printLoraReport(result);
        const sidecar = result.sidecarPath ? ` (+ ${basename(result.sidecarPath)})` : '';
        console.log(`${result.imagePath}${sidecar}  seed ${result.seed}, ${Math.round(result.timings.totalMs)} ms`);
      }
    } catch (error) {
      throw asUserFacing(error);
    } finally {
      await engine.close();
    }
    return 0;
  },
};

/** `lora card_layout: 192/192 keys matched` per LoRA (its warnings were logged by the engine). */
function printLoraReport(result: GenerateResult): void {
  for (const lora of result.loras ?? []) {
    const detail = lora.weight === 0 ? 'weight 0, not applied' : `${lora.matched}/${lora.total} keys matched`;
    process.stderr.write(`lora ${lora.name}: ${detail}\n`);
  }
}

const USER_ERROR_CODES = new Set(['MODEL_MISSING', 'MODEL_INVALID', 'DEVICE_UNAVAILABLE', 'NOT_FOUND', 'LORA_INCOMPATIBLE', 'LORA_INVALID', 'LORA_UNSUPPORTED', 'LORA_UNMATCHED']);

function asUserFacing(error: unknown): unknown {
  if (!(error instanceof EngineError)) return error;
  if (error.code === 'BAD_USER_INPUT') return new UsageError(error.message);
  if (USER_ERROR_CODES.has(error.code)) {
    return new UserFacingError(`${error.code}: ${error.message}`);
  }
  return error;
}
