/**
 * Forges an LCM-LoRA with the layout of `latent-consistency/lcm-lora-sdv1-5`
 * (`pytorch_lora_weights.safetensors`): UNet only, rank 64, written by diffusers' LCM distillation
 * script through `get_module_kohya_state_dict` — kohya keys over diffusers module paths
 * (`lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight`, `.lora_up.weight`, `.alpha`),
 * fp16, alpha 8 (PEFT's default `lora_alpha`; the script passed none then), so scale 8/64.
 * Its target modules were to_q, to_k, to_v, to_out.0, proj_in, proj_out, ff.net.0.proj, ff.net.2,
 * conv1, conv2, conv_shortcut, downsamplers.0.conv, upsamplers.0.conv and time_emb_proj — no conv_in,
 * conv_out or time_embedding. Weights are seeded and small, so a forged model stays finite.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { float32ToFloat16 } from '../models/fp16.ts';
import { fullArchitecture, tinyArchitecture } from './presets.ts';
import { TensorRandom } from './random.ts';
import type { UNetConfig } from './unet.ts';

export const LCM_LORA_RANK = 64;
export const LCM_LORA_ALPHA = 8;

export interface LoraTargetModule {
  /** diffusers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  path: string;
  outFeatures: number;
  inFeatures: number;
  /** Conv kernel; absent for Linear layers. */
  kernel?: [number, number];
}

/** The UNet modules the LCM-LoRA patches, in the order the UNet runs them. */
export function lcmLoraTargets(c: UNetConfig, crossAttentionDim = c.crossAttentionDim): LoraTargetModule[] {
  const targets: LoraTargetModule[] = [];
  const add = (path: string, outFeatures: number, inFeatures: number, kernel?: [number, number]) =>
    targets.push({ path, outFeatures, inFeatures, ...(kernel ? { kernel } : {}) });
  const base = c.blockOutChannels[0];
  const tembDim = 4 * base;
  const resnet = (p: string, cin: number, cout: number) => {
    add(`${p}.conv1`, cout, cin, [3, 3]);
    add(`${p}.time_emb_proj`, cout, tembDim);
    add(`${p}.conv2`, cout, cout, [3, 3]);
    if (cin !== cout) add(`${p}.conv_shortcut`, cout, cin, [1, 1]);
  };
  const attention = (p: string, ch: number) => {
    add(`${p}.proj_in`, ch, ch, [1, 1]);
    const block = `${p}.transformer_blocks.0`;
    for (const [attn, contextDim] of [['attn1', ch], ['attn2', crossAttentionDim]] as const) {
      add(`${block}.${attn}.to_q`, ch, ch);
      add(`${block}.${attn}.to_k`, ch, contextDim);
      add(`${block}.${attn}.to_v`, ch, contextDim);
      add(`${block}.${attn}.to_out.0`, ch, ch);
    }
    add(`${block}.ff.net.0.proj`, 8 * ch, ch);
    add(`${block}.ff.net.2`, ch, 4 * ch);
    add(`${p}.proj_out`, ch, ch, [1, 1]);
  };
  const last = c.blockOutChannels.length - 1;
  c.downBlockTypes.forEach((type, i) => {
    const out = c.blockOutChannels[i];
    let channels = i === 0 ? base : c.blockOutChannels[i - 1];
    for (let j = 0; j < c.layersPerBlock; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, channels, out);
      channels = out;
      if (type === 'CrossAttnDownBlock2D') attention(`down_blocks.${i}.attentions.${j}`, out);
    }
    if (i < last) add(`down_blocks.${i}.downsamplers.0.conv`, out, out, [3, 3]);
  });
  const deepest = c.blockOutChannels[last];
  resnet('mid_block.resnets.0', deepest, deepest);
  attention('mid_block.attentions.0', deepest);
  resnet('mid_block.resnets.1', deepest, deepest);
  const reversed = [...c.blockOutChannels].reverse();
  c.upBlockTypes.forEach((type, i) => {
    const out = reversed[i];
    const prevOut = reversed[Math.max(i - 1, 0)];
    const skipIn = reversed[Math.min(i + 1, last)];
    for (let j = 0; j <= c.layersPerBlock; j++) {
      const skip = j === c.layersPerBlock ? skipIn : out;
      resnet(`up_blocks.${i}.resnets.${j}`, (j === 0 ? prevOut : out) + skip, out);
      if (type === 'CrossAttnUpBlock2D') attention(`up_blocks.${i}.attentions.${j}`, out);
    }
    if (i < last) add(`up_blocks.${i}.upsamplers.0.conv`, out, out, [3, 3]);
  });
  return targets;
}

export type LcmLoraArchitecture = 'tiny' | 'full';

export interface LcmLoraOptions {
  /** Match a forged model of this preset (`full` = the real SD1.5 sizes, ~135 MB like the real file). */
  architecture: LcmLoraArchitecture;
  /** Default 0; the same seed writes the same bytes. */
  seed?: number;
  /** Default 64 (the real file's); a tiny model's widths are smaller than that, which a LoRA allows. */
  rank?: number;
}

export interface LcmLoraReport {
  file: string;
  modules: number;
  tensors: number;
  parameters: number;
  bytes: number;
}

/** The kohya key prefix of a diffusers UNet module path. */
export const kohyaUnetKey = (path: string): string => `lora_unet_${path.replace(/\./g, '_')}`;

interface HeaderEntry {
  dtype: 'F16';
  shape: number[];
  data_offsets: [number, number];
}

/** The safetensors bytes of a forged LCM-LoRA (fp16, keys sorted as safetensors writes them). */
export function lcmLoraBytes(options: LcmLoraOptions): { bytes: Uint8Array; modules: number; tensors: number; parameters: number } {
  const seed = options.seed ?? 0;
  const rank = options.rank ?? LCM_LORA_RANK;
  const unet = (options.architecture === 'full' ? fullArchitecture : tinyArchitecture).unet;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of lcmLoraTargets(unet)) {
    const [kh, kw] = t.kernel ?? [1, 1];
    const key = kohyaUnetKey(t.path);
    const down = new Float32Array(rank * t.inFeatures * kh * kw);
    new TensorRandom(seed, `${key}.lora_down.weight`).fillUniform(down, 1 / Math.sqrt(t.inFeatures * kh * kw));
    const up = new Float32Array(t.outFeatures * rank);
    // Small on purpose: added to a forged model's random weights at scale alpha/rank, it nudges, never blows up.
    new TensorRandom(seed, `${key}.lora_up.weight`).fillUniform(up, 0.02 / Math.sqrt(rank));
    tensors.set(`${key}.lora_down.weight`, { shape: t.kernel ? [rank, t.inFeatures, kh, kw] : [rank, t.inFeatures], data: down });
    tensors.set(`${key}.lora_up.weight`, { shape: t.kernel ? [t.outFeatures, rank, 1, 1] : [t.outFeatures, rank], data: up });
    tensors.set(`${key}.alpha`, { shape: [], data: Float32Array.of(LCM_LORA_ALPHA) });
  }
  const names = [...tensors.keys()].sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = {
    __metadata__: { format: 'pt', forged: 'imagineer', forged_as: 'latent-consistency/lcm-lora-sdv1-5', architecture: options.architecture, seed: String(seed) },
  };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let parameters = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    const half = float32ToFloat16(data);
    const bytes = new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
    parameters += data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const bytes = Buffer.concat([prefix, headerBytes, ...chunks]);
  return { bytes, modules: names.length / 3, tensors: names.length, parameters };
}

/** Writes the forged LCM-LoRA to `file` (a temporary name, then renamed: never seen half-written). */
export function forgeLcmLora(file: string, options: LcmLoraOptions): LcmLoraReport {
  const { bytes, modules, tensors, parameters } = lcmLoraBytes(options);
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
  return { file, modules, tensors, parameters, bytes: bytes.byteLength };
}
