/**
 * Groups the tensors of a LoRA file into layers (down, up, alpha) whatever the naming scheme:
 * kohya (`lora_unet_….lora_down.weight`), diffusers/PEFT (`unet.….lora_A.weight`), the older
 * attention-processor format (`….processor.to_q_lora.down.weight`). Formats we cannot apply
 * exactly (LoHa, LoKr, DoRA, IA3, …) are refused by name, so nothing is ever half-applied.
 */
import { basename } from 'node:path';
import { LoraError } from './errors.ts';
import type { TensorInfo } from './safetensors.ts';

export type LoraComponent = 'unet' | 'text_encoder';

/** Where a layer belongs: one of ours, the second text encoder of SDXL, or nobody knows. */
export type LayerOwner = LoraComponent | 'text_encoder_2' | 'unknown';

export interface LoraLayerRef {
  /** The layer's key prefix as written in the file (what reports name). */
  key: string;
  owner: LayerOwner;
  /** Module name without the component prefix: dotted (`down_blocks.0.…to_q`) or kohya underscored. */
  name: string;
  naming: 'dotted' | 'underscored';
  downKey: string;
  upKey: string;
  alphaKey?: string;
  downShape: number[];
  upShape: number[];
  rank: number;
}

export interface LoraLayout {
  layers: LoraLayerRef[];
  /** Keys that belong to no recognizable layer. */
  unrecognized: string[];
}

const UNSUPPORTED: { pattern: RegExp; what: string }[] = [
  { pattern: /\.hada_(w1|w2|t1|t2)/, what: 'LoHa' },
  { pattern: /\.lokr_(w1|w2|t1|t2)/, what: 'LoKr' },
  { pattern: /\.(dora_scale|lora_magnitude_vector)/, what: 'DoRA' },
  { pattern: /\.on_input$/, what: 'IA3' },
  { pattern: /\.(oft_blocks|oft_diag|oft_R)/, what: 'OFT' },
  { pattern: /\.(a1|a2|b1|b2)\.weight$/, what: 'GLoRA' },
  { pattern: /\.lora_mid\.weight$/, what: 'LoCon with Tucker decomposition (lora_mid)' },
  { pattern: /\.diff(_b)?$/, what: 'Full-difference (diff)' },
];

type Part = 'down' | 'up' | 'alpha';
const SUFFIXES: { suffix: string; part: Part }[] = [
  { suffix: '.lora_down.weight', part: 'down' },
  { suffix: '.lora_up.weight', part: 'up' },
  { suffix: '.lora_A.weight', part: 'down' },
  { suffix: '.lora_B.weight', part: 'up' },
  { suffix: '.lora.down.weight', part: 'down' },
  { suffix: '.lora.up.weight', part: 'up' },
  { suffix: '.lora_linear_layer.down.weight', part: 'down' },
  { suffix: '.lora_linear_layer.up.weight', part: 'up' },
  { suffix: '.alpha', part: 'alpha' },
];
const ATTN_PROCESSOR = /^(.*)\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$/;

/** Throws LORA_UNSUPPORTED when any key belongs to a format we cannot apply exactly. */
export function refuseUnsupported(file: string, keys: Iterable<string>): void {
  for (const key of keys) {
    for (const { pattern, what } of UNSUPPORTED) {
      if (pattern.test(key)) {
        throw new LoraError('LORA_UNSUPPORTED', `${basename(file)}: ${what} LoRAs are not supported yet (key ${key})`, file);
      }
    }
  }
}

function splitKey(key: string): { layer: string; part: Part; module?: string } | undefined {
  const processor = ATTN_PROCESSOR.exec(key);
  if (processor) {
    const [, parent, projection, part] = processor;
    const module = projection === 'to_out' ? `${parent}.to_out.0` : `${parent}.${projection}`;
    return { layer: key.slice(0, key.length - `_lora.${part}.weight`.length), part: part as Part, module };
  }
  for (const { suffix, part } of SUFFIXES) {
    if (key.endsWith(suffix)) return { layer: key.slice(0, -suffix.length), part };
  }
  return undefined;
}

/** Owner and bare module name from a layer prefix such as `lora_unet_x_y` or `unet.x.y`. */
export function classifyLayerName(layer: string): Pick<LoraLayerRef, 'owner' | 'name' | 'naming'> {
  const underscored: [string, LayerOwner][] = [
    ['lora_unet_', 'unet'],
    ['lora_te1_', 'text_encoder'],
    ['lora_te2_', 'text_encoder_2'],
    ['lora_te_', 'text_encoder'],
  ];
  for (const [prefix, owner] of underscored) {
    if (layer.startsWith(prefix)) return { owner, name: layer.slice(prefix.length), naming: 'underscored' };
  }
  let name = layer.replace(/^base_model\.model\./, '');
  const dotted: [string, LayerOwner][] = [
    ['unet.', 'unet'],
    ['text_encoder_2.', 'text_encoder_2'],
    ['text_encoder.', 'text_encoder'],
  ];
  for (const [prefix, owner] of dotted) {
    if (name.startsWith(prefix)) return { owner, name: name.slice(prefix.length), naming: 'dotted' };
  }
  if (name.startsWith('text_model.')) return { owner: 'text_encoder', name, naming: 'dotted' };
  if (/^(down_blocks|up_blocks|mid_block|conv_in|conv_out|time_embedding|input_blocks|output_blocks|middle_block)[._]/.test(name)) {
    name = name.replace(/^(input_blocks|output_blocks|middle_block)_/, '$1.');
    return { owner: 'unet', name, naming: 'dotted' };
  }
  return { owner: 'unknown', name, naming: 'dotted' };
}

/** Groups a file's tensors into layers; throws LORA_UNSUPPORTED / LORA_INVALID for formats or layers we cannot use. */
export function groupLayers(file: string, tensors: Map<string, TensorInfo>): LoraLayout {
  refuseUnsupported(file, tensors.keys());
  const groups = new Map<string, { down?: string; up?: string; alpha?: string; module?: string }>();
  const unrecognized: string[] = [];
  for (const key of tensors.keys()) {
    const split = splitKey(key);
    if (!split) {
      unrecognized.push(key);
      continue;
    }
    const group = groups.get(split.layer) ?? {};
    group[split.part] = key;
    if (split.module) group.module = split.module;
    groups.set(split.layer, group);
  }
  const layers: LoraLayerRef[] = [];
  for (const [layer, group] of groups) {
    if (!group.down || !group.up) {
      if (group.alpha && !group.down && !group.up) {
        unrecognized.push(group.alpha);
        continue;
      }
      throw new LoraError('LORA_INVALID', `${basename(file)}: layer ${layer} has a ${group.down ? 'down' : 'up'} matrix but no ${group.down ? 'up' : 'down'} matrix`, file);
    }
    const downShape = tensors.get(group.down)!.shape;
    const upShape = tensors.get(group.up)!.shape;
    const rank = downShape[0];
    if (downShape.length < 2 || upShape.length < 2 || upShape[1] !== rank || upShape.slice(2).some((d) => d !== 1)) {
      throw new LoraError(
        'LORA_INVALID',
        `${basename(file)}: layer ${layer} has down [${downShape.join(', ')}] and up [${upShape.join(', ')}], which do not multiply`,
        file,
      );
    }
    const classified = classifyLayerName(group.module ?? layer);
    layers.push({ key: layer, ...classified, downKey: group.down, upKey: group.up, alphaKey: group.alpha, downShape, upShape, rank });
  }
  return { layers, unrecognized };
}
