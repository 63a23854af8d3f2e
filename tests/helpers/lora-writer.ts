/**
 * Writes LoRA files for tests: a safetensors writer (header JSON + raw little-endian data)
 * and random LoRAs in each naming scheme for a given list of model layers.
 */
import { writeFileSync } from 'node:fs';
import { float32ToFloat16 } from '../../server/engine/models/fp16.ts';

export type WrittenDtype = 'F32' | 'F16' | 'BF16';

export interface TensorToWrite {
  dtype?: WrittenDtype;
  shape: number[];
  data: Float32Array;
}

export function safetensorsBytes(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const dtype = tensor.dtype ?? 'F32';
    const bytes = encode(dtype, tensor.data);
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, ...chunks]);
}

export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): string {
  writeFileSync(file, safetensorsBytes(tensors, metadata));
  return file;
}

function encode(dtype: WrittenDtype, data: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (dtype === 'F16') return new Uint8Array(float32ToFloat16(data).buffer);
  const bits = new Uint32Array(Float32Array.from(data).buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16;
  return new Uint8Array(out.buffer);
}

/** A seeded uniform generator (mulberry32), enough for test data. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TargetLayer {
  component: 'unet' | 'text_encoder';
  /** Diffusers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  path: string;
  outFeatures: number;
  inFeatures: number;
  /** Conv kernel [kh, kw]; absent for linear layers. */
  kernel?: [number, number];
}

export type LoraFormat = 'kohya' | 'peft' | 'attn-processor' | 'loha';

export interface RandomLoraOptions {
  format: LoraFormat;
  rank: number;
  /** Written for kohya only; absent → no alpha key (scale 1). */
  alpha?: number;
  seed: number;
  dtype?: WrittenDtype;
  /** Size of the values (the update's entries are about magnitude² · √rank). */
  magnitude?: number;
  /** Overrides the kohya name of a layer (LDM naming tests). */
  kohyaName?: (layer: TargetLayer) => string;
}

export interface GeneratedLayer {
  layer: TargetLayer;
  /** [out, r] and [r, in·kh·kw], as float32 (after the dtype round trip). */
  up: Float32Array;
  down: Float32Array;
  rank: number;
  alpha?: number;
}

export interface GeneratedLora {
  tensors: Record<string, TensorToWrite>;
  layers: GeneratedLayer[];
}

function roundTrip(dtype: WrittenDtype, data: Float32Array): Float32Array {
  if (dtype === 'F32') return data;
  const bytes = encode(dtype, data);
  if (dtype === 'F16') {
    const halves = new Uint16Array(bytes.buffer);
    const out = new Float32Array(data.length);
    for (let i = 0; i < out.length; i++) {
      const h = halves[i];
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const s = h & 0x8000 ? -1 : 1;
      out[i] = e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    }
    return out;
  }
  const halves = new Uint16Array(bytes.buffer);
  const out = new Uint32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = halves[i] << 16;
  return new Float32Array(out.buffer);
}

const kohyaPrefix = (layer: TargetLayer) => (layer.component === 'unet' ? 'lora_unet_' : 'lora_te_');

export function randomLora(layers: TargetLayer[], options: RandomLoraOptions): GeneratedLora {
  const random = seededUniform(options.seed);
  const dtype = options.dtype ?? 'F32';
  const magnitude = options.magnitude ?? 0.3;
  const tensors: Record<string, TensorToWrite> = {};
  const generated: GeneratedLayer[] = [];
  const r = options.rank;
  for (const layer of layers) {
    const [kh, kw] = layer.kernel ?? [1, 1];
    const inFlat = layer.inFeatures * kh * kw;
    const fill = (n: number) => roundTrip(dtype, Float32Array.from({ length: n }, () => (random() * 2 - 1) * magnitude));
    const down = fill(r * inFlat);
    const up = fill(layer.outFeatures * r);
    const downShape = layer.kernel ? [r, layer.inFeatures, kh, kw] : [r, layer.inFeatures];
    const upShape = layer.kernel ? [layer.outFeatures, r, 1, 1] : [layer.outFeatures, r];
    const put = (name: string, shape: number[], data: Float32Array) => (tensors[name] = { dtype, shape, data });
    switch (options.format) {
      case 'kohya': {
        const name = options.kohyaName?.(layer) ?? kohyaPrefix(layer) + layer.path.replace(/\./g, '_');
        put(`${name}.lora_down.weight`, downShape, down);
        put(`${name}.lora_up.weight`, upShape, up);
        if (options.alpha !== undefined) put(`${name}.alpha`, [], Float32Array.of(options.alpha));
        break;
      }
      case 'peft': {
        const name = `${layer.component}.${layer.path}`;
        put(`${name}.lora_A.weight`, downShape, down);
        put(`${name}.lora_B.weight`, upShape, up);
        break;
      }
      case 'attn-processor': {
        const m = /^(.*)\.(to_q|to_k|to_v|to_out\.0)$/.exec(layer.path);
        if (!m) continue;
        const name = `${m[1]}.processor.${m[2].replace('.0', '')}_lora`;
        put(`${name}.down.weight`, downShape, down);
        put(`${name}.up.weight`, upShape, up);
        break;
      }
      case 'loha': {
        const name = kohyaPrefix(layer) + layer.path.replace(/\./g, '_');
        for (const part of ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b']) put(`${name}.${part}`, [r, r], fill(r * r));
        put(`${name}.alpha`, [], Float32Array.of(r));
        continue;
      }
    }
    generated.push({ layer, up, down, rank: r, alpha: options.format === 'kohya' ? options.alpha : undefined });
  }
  return { tensors, layers: generated };
}

/** An SDXL-shaped kohya LoRA: two text encoders, cross-attention input 2048, sdxl metadata. */
export function sdxlShapedLora(seed: number): { tensors: Record<string, TensorToWrite>; metadata: Record<string, string> } {
  const layers: TargetLayer[] = [
    { component: 'unet', path: 'input_blocks.4.1.transformer_blocks.0.attn2.to_k', outFeatures: 640, inFeatures: 2048 },
    { component: 'unet', path: 'input_blocks.4.1.transformer_blocks.0.attn1.to_q', outFeatures: 640, inFeatures: 640 },
  ];
  const { tensors } = randomLora(layers, { format: 'kohya', rank: 4, alpha: 4, seed });
  const te = randomLora([{ component: 'text_encoder', path: 'text_model.encoder.layers.0.self_attn.q_proj', outFeatures: 1280, inFeatures: 1280 }], {
    format: 'kohya',
    rank: 4,
    alpha: 4,
    seed: seed + 1,
    kohyaName: (l) => 'lora_te2_' + l.path.replace(/\./g, '_'),
  });
  return { tensors: { ...tensors, ...te.tensors }, metadata: { ss_base_model_version: 'sdxl_base_v1-0', 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' } };
}

/** An SD2-shaped kohya LoRA: cross-attention input 1024, ss_v2 = True. */
export function sd2ShapedLora(seed: number): { tensors: Record<string, TensorToWrite>; metadata: Record<string, string> } {
  const layers: TargetLayer[] = [
    { component: 'unet', path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', outFeatures: 320, inFeatures: 1024 },
    { component: 'unet', path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v', outFeatures: 320, inFeatures: 1024 },
  ];
  const { tensors } = randomLora(layers, { format: 'kohya', rank: 4, alpha: 2, seed });
  return { tensors, metadata: { ss_v2: 'True', ss_base_model_version: 'sd_v2' } };
}
