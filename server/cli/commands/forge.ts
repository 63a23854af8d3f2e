import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { FORGE_COMPONENTS, FORGE_PRESETS, forgeModel, type ForgeOptions, type ForgePreset } from '../../engine/forge/index.ts';
import { forgeTaesd, TAESD_LAYOUTS, type TaesdForgeOptions } from '../../engine/forge/taesd.ts';
import { forgeLcmLora, type LcmLoraOptions } from '../../engine/forge/lcm-lora.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';

const LAYOUTS = ['diffusers', 'optimum'] as const;
const INPUT_IDS = ['int32', 'int64'] as const;
const TIMESTEPS = ['float-batch', 'int64-1', 'float-scalar'] as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

const LCM_ARCHITECTURES = ['tiny', 'full'] as const;

/** `forge --lcm-lora OUT.safetensors [--preset tiny|full] [--seed N]`: an LCM-LoRA laid out like lcm-lora-sdv1-5. */
export function parseLcmLoraArgs(args: string[]): LcmLoraOptions & { file: string } {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { 'lcm-lora': { type: 'string' }, preset: { type: 'string' }, seed: { type: 'string' } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const file = values['lcm-lora'];
  if (!file || !/\.safetensors$/i.test(file)) throw new UsageError('--lcm-lora needs a file name ending in .safetensors');
  return { file: resolve(file), architecture: oneOf('preset', values.preset, LCM_ARCHITECTURES) ?? 'tiny', seed: parseSeed(values.seed) };
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--seed must be an integer in 0 … 4294967295, got '${text}'`);
  return Number(text);
}

/** `--preset taesd`: a TAESD tiny decoder folder instead of an SD1.5 model folder. */
export type TaesdForgeRequest = TaesdForgeOptions & { preset: 'taesd' };

export function parseForgeArgs(args: string[]): ForgeOptions | TaesdForgeRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        preset: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        layout: { type: 'string' },
        fp16: { type: 'boolean', default: false },
        'external-data': { type: 'boolean', default: false },
        'input-ids': { type: 'string' },
        timestep: { type: 'string' },
        'unet-batch-1': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const preset = oneOf<ForgePreset | 'taesd'>('preset', values.preset, [...FORGE_PRESETS, 'taesd']);
  if (!preset) throw new UsageError(`missing --preset (${FORGE_PRESETS.join('|')}|taesd)`);
  if (!values.out) throw new UsageError('missing --out DIR');
  const seed = parseSeed(values.seed);
  if (preset === 'taesd') {
    return { preset, outDir: resolve(values.out), seed, layout: oneOf('layout', values.layout, TAESD_LAYOUTS), dtype: values.fp16 ? 'float16' : 'float32' };
  }
  return {
    preset,
    outDir: resolve(values.out),
    seed,
    layout: oneOf('layout', values.layout, LAYOUTS),
    externalData: values['external-data'],
    dtype: values.fp16 ? 'float16' : 'float32',
    inputIdsType: oneOf('input-ids', values['input-ids'], INPUT_IDS),
    timestep: oneOf('timestep', values.timestep, TIMESTEPS),
    unetBatch: values['unet-batch-1'] ? 1 : 'dynamic',
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export const forgeCommand: Command = {
  name: 'forge',
  summary: 'Write an SD1.5-architecture ONNX model folder with seeded random weights (tiny, full) or an exact oracle, for tests and benchmarks.',
  usage:
    'imagineer forge --preset tiny|full|oracle --out DIR [--seed N] [--layout diffusers|optimum] [--fp16] [--external-data]\n' +
    '                [--input-ids int32|int64] [--timestep float-batch|int64-1|float-scalar] [--unet-batch-1]\n' +
    'imagineer forge --preset taesd --out DIR [--seed N] [--layout diffusers|original] [--fp16]\n\n' +
    '  --preset         tiny: small widths, a few MB; full: real SD1.5 sizes (~4 GB); oracle: known result at 128×128;\n' +
    '                   taesd: a TAESD tiny VAE decoder (model.tiny_decoder), 1.22 M parameters\n' +
    '  --seed N         weights seed (default 0); the same seed writes byte-identical files\n' +
    '  --layout         diffusers: model.onnx (+ weights.pb when large); optimum: model.onnx + model.onnx_data;\n' +
    '                   taesd: diffusers (vae_decoder/model.onnx, output −1 … 1) or original (taesd_decoder.onnx, 0 … 1)\n' +
    '  --fp16           float16 inputs, outputs and weights\n' +
    '  --external-data  weights in weights.pb even when small (diffusers layout)\n' +
    '  --input-ids      dtype of the text encoder input (default int32; int64 with --layout optimum)\n' +
    '  --timestep       UNet timestep input: float32 [batch] (default), int64 [1] or float32 scalar\n' +
    '  --unet-batch-1   fix the UNet batch dimension at 1, as some exports do\n\n' +
    'imagineer forge --lcm-lora OUT.safetensors [--preset tiny|full] [--seed N]\n' +
    '  an LCM-LoRA with the key layout of latent-consistency/lcm-lora-sdv1-5 (UNet only, rank 64, fp16)\n' +
    '  for a forged model of that preset (default tiny; full: the real sizes, ~135 MB)',
  async run(args) {
    if (args.some((a) => a === '--lcm-lora' || a.startsWith('--lcm-lora='))) {
      const { file, ...options } = parseLcmLoraArgs(args);
      const report = forgeLcmLora(file, options);
      console.log(`forged ${options.architecture} LCM-LoRA (seed ${options.seed ?? 0}) in ${report.file}`);
      console.log(`  ${report.modules} UNet modules, ${(report.parameters / 1e6).toFixed(2)} M parameters, ${megabytes(report.bytes)}`);
      return 0;
    }
    const options = parseForgeArgs(args);
    if (options.preset === 'taesd') {
      const report = forgeTaesd(options);
      console.log(`forged taesd decoder (seed ${options.seed ?? 0}, ${report.layout} layout) in ${report.outDir}`);
      console.log(`  ${report.file}  ${(report.parameters / 1e6).toFixed(2)} M parameters  ${megabytes(report.bytes)}`);
      return 0;
    }
    const report = await forgeModel(options);
    console.log(`forged ${options.preset} model (seed ${options.seed ?? 0}) in ${report.outDir}`);
    for (const component of FORGE_COMPONENTS) {
      const params = (report.parameters[component] / 1e6).toFixed(2).padStart(8);
      console.log(`  ${component.padEnd(13)} ${params} M parameters  ${megabytes(report.bytes[component]).padStart(10)}`);
    }
    console.log(`  ${report.seconds.toFixed(1)} s`);
    return 0;
  },
};
