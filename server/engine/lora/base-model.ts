/**
 * Which Stable Diffusion generation a LoRA was trained for, from the strongest evidence
 * first: the cross-attention width of its UNet layers, keys for SDXL's two text encoders,
 * the text encoder width, then what the trainer wrote in the metadata.
 */
import type { LoraLayout } from './formats.ts';

export type BaseModel = 'sd15' | 'sdxl' | 'sd2' | 'unknown';

export interface BaseModelEvidence {
  base: BaseModel;
  /** Why, in words: "cross-attention input is 2048: this is an SDXL LoRA". */
  reason: string;
}

const LABEL: Record<Exclude<BaseModel, 'unknown'>, string> = { sd15: 'an SD1.5 LoRA', sdxl: 'an SDXL LoRA', sd2: 'an SD2 LoRA' };
const CROSS_ATTENTION_WIDTH: Record<number, Exclude<BaseModel, 'unknown'>> = { 768: 'sd15', 1024: 'sd2', 2048: 'sdxl' };
const TEXT_ENCODER_WIDTH: Record<number, Exclude<BaseModel, 'unknown'>> = { 768: 'sd15', 1024: 'sd2', 1280: 'sdxl' };

function evidence(base: Exclude<BaseModel, 'unknown'>, because: string): BaseModelEvidence {
  return { base, reason: `${because}: this is ${LABEL[base]}` };
}

export function detectBaseModel(layout: LoraLayout, metadata: Record<string, string>): BaseModelEvidence {
  for (const layer of layout.layers) {
    if (layer.owner !== 'unet' || !/attn2[._]to_[kv]$/.test(layer.name)) continue;
    const width = layer.downShape.slice(1).reduce((a, b) => a * b, 1);
    const base = CROSS_ATTENTION_WIDTH[width];
    if (base) return evidence(base, `cross-attention input is ${width}`);
  }
  const secondEncoder = layout.layers.find((l) => l.owner === 'text_encoder_2' || l.key.startsWith('lora_te1_'));
  if (secondEncoder) return evidence('sdxl', `it has keys for two text encoders (${secondEncoder.key})`);
  for (const layer of layout.layers) {
    if (layer.owner !== 'text_encoder' || !/self_attn[._]q_proj$/.test(layer.name)) continue;
    const width = layer.downShape[1];
    const base = TEXT_ENCODER_WIDTH[width];
    if (base) return evidence(base, `its text encoder layers are ${width} wide`);
  }
  const version = metadata.ss_base_model_version?.toLowerCase();
  if (version?.includes('sdxl')) return evidence('sdxl', `ss_base_model_version is ${metadata.ss_base_model_version}`);
  if (version?.startsWith('sd_v2') || metadata.ss_v2?.toLowerCase() === 'true') {
    return evidence('sd2', metadata.ss_v2 ? `ss_v2 is ${metadata.ss_v2}` : `ss_base_model_version is ${metadata.ss_base_model_version}`);
  }
  const architecture = metadata['modelspec.architecture']?.toLowerCase();
  if (architecture?.includes('xl')) return evidence('sdxl', `modelspec.architecture is ${metadata['modelspec.architecture']}`);
  if (architecture?.includes('v2')) return evidence('sd2', `modelspec.architecture is ${metadata['modelspec.architecture']}`);
  if (version?.startsWith('sd_v1') || architecture?.includes('v1')) return evidence('sd15', 'its metadata names SD1');
  return { base: 'unknown', reason: 'nothing in the file names its base model' };
}
