/**
 * Generation presets. `fast_draft`: the LCM scheduler at a few steps and low guidance with the LCM-LoRA merged in
 * (generation.fast_draft in config.yaml), the tiny decoder when the engine has one; the caller's prompt, seed, size
 * and other LoRAs are kept. `standard` changes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/index.ts';
import { demoLoraDir, ensureDemoLcmLora, resolveModelDir } from '../engine/models/demo.ts';
import type { DecoderName } from '../engine/pipeline/validate.ts';

import type { GenerationPreset } from './names.ts';

export { GENERATION_PRESETS, type GenerationPreset } from './names.ts';

export type FastDraftConfig = LoadedConfig['generation']['fast_draft'];

export const LCM_LORA_SOURCE = 'https://huggingface.co/latent-consistency/lcm-lora-sdv1-5';

/** The fields a preset sets; everything else of a request is left alone. */
export interface PresetFields {
  steps: number;
  guidanceScale: number;
  scheduler: string;
  loras: { name: string; weight: number }[];
  decoder: DecoderName;
}

/**
 * Applies a preset to a checked request. Fast draft sets steps, guidance and scheduler and adds its LoRA (replacing
 * the same LoRA listed by hand); an explicitly chosen decoder wins over the preset's.
 */
export function applyPreset<T extends PresetFields>(preset: GenerationPreset, params: T, fastDraft: FastDraftConfig, explicitDecoder?: DecoderName | null): T {
  if (preset === 'standard') return params;
  const others = params.loras.filter((l) => l.name !== fastDraft.lora);
  return {
    ...params,
    steps: fastDraft.steps,
    guidanceScale: fastDraft.guidance_scale,
    scheduler: fastDraft.scheduler,
    loras: [...others, { name: fastDraft.lora, weight: fastDraft.lora_weight }],
    decoder: explicitDecoder ?? fastDraft.decoder,
  };
}

/** True when the config's model is the forged demo model. */
export function usesDemoModel(config: LoadedConfig): boolean {
  return resolveDemo(config) !== undefined;
}

function resolveDemo(config: LoadedConfig): string | undefined {
  try {
    const resolved = resolveModelDir(config.model.default, config.server.data_dir);
    return resolved.isDemo ? resolved.dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the fast-draft LoRA is looked for, in order: with the demo model its own `loras/` folder first (the forged
 * LCM-LoRA that matches it, forged here when missing), then lora.directory. Returns the file, or undefined.
 */
export async function locateFastDraftLora(config: LoadedConfig): Promise<string | undefined> {
  const name = config.generation.fast_draft.lora;
  const demoDir = resolveDemo(config);
  if (demoDir) return ensureDemoLcmLora(demoDir, name);
  const file = join(config.lora.directory, `${name}.safetensors`);
  return existsSync(file) ? file : undefined;
}

/** The LoRA folders a job's LoRA names resolve in (the worker's order). */
export function loraSearchDirs(config: LoadedConfig): string[] {
  const demoDir = resolveDemo(config);
  return demoDir ? [demoLoraDir(demoDir), config.lora.directory] : [config.lora.directory];
}

/** Said when the LCM-LoRA is missing: which file, where it goes, and where to get it (no absolute paths). */
export function lcmLoraMissingMessage(name: string): string {
  return (
    `the fast draft preset needs the LCM-LoRA ${name}.safetensors in the LoRA folder (lora.directory), and it is not there; ` +
    `download pytorch_lora_weights.safetensors from ${LCM_LORA_SOURCE} and save it in the LoRA folder as ${name}.safetensors ` +
    '(or set generation.fast_draft.lora to the name you saved it under); nothing was queued'
  );
}
