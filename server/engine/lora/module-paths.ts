/**
 * Resolves LoRA layer names to the model's own module paths (diffusers naming, as the ONNX
 * node names carry them). Kohya's underscore-joined names are ambiguous on their own
 * (`transformer_blocks`, `to_out_0`), so they are looked up in a table built from the model's
 * actual modules instead of being split by guesswork. Names in the original SD (LDM) layout
 * (`input_blocks.1.1…`) are resolved through the standard LDM ↔ diffusers block mapping.
 */
import type { LoraLayerRef } from './formats.ts';

const RESNET_TO_LDM: Record<string, string> = {
  norm1: 'in_layers.0',
  conv1: 'in_layers.2',
  time_emb_proj: 'emb_layers.1',
  norm2: 'out_layers.0',
  conv2: 'out_layers.3',
  conv_shortcut: 'skip_connection',
};

const TOP_LEVEL_TO_LDM: Record<string, string> = {
  conv_in: 'input_blocks.0.0',
  'time_embedding.linear_1': 'time_embed.0',
  'time_embedding.linear_2': 'time_embed.2',
  conv_norm_out: 'out.0',
  conv_out: 'out.2',
};

interface UnetShape {
  layersPerBlock: number;
  upBlocksWithAttention: Set<number>;
}

function unetShape(paths: string[]): UnetShape {
  let maxResnet = -1;
  const upBlocksWithAttention = new Set<number>();
  for (const path of paths) {
    const down = /^down_blocks\.0\.resnets\.(\d+)\./.exec(path);
    if (down) maxResnet = Math.max(maxResnet, Number(down[1]));
    const up = /^up_blocks\.(\d+)\.attentions\./.exec(path);
    if (up) upBlocksWithAttention.add(Number(up[1]));
  }
  return { layersPerBlock: maxResnet + 1, upBlocksWithAttention };
}

function resnetRest(rest: string): string {
  const [head, ...tail] = rest.split('.');
  const mapped = RESNET_TO_LDM[head];
  return mapped ? [mapped, ...tail].join('.') : rest;
}

/** The original-SD (LDM) name of a diffusers UNet module path, when it has one. */
export function diffusersToLdm(path: string, shape: UnetShape): string | undefined {
  const top = TOP_LEVEL_TO_LDM[path];
  if (top) return top;
  const perBlock = shape.layersPerBlock + 1;
  let m = /^down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)$/.exec(path);
  if (m) {
    const index = Number(m[1]) * perBlock + Number(m[3]) + 1;
    return m[2] === 'resnets' ? `input_blocks.${index}.0.${resnetRest(m[4])}` : `input_blocks.${index}.1.${m[4]}`;
  }
  m = /^down_blocks\.(\d+)\.downsamplers\.0\.conv$/.exec(path);
  if (m) return `input_blocks.${(Number(m[1]) + 1) * perBlock}.0.op`;
  m = /^mid_block\.(resnets|attentions)\.(\d+)\.(.+)$/.exec(path);
  if (m) {
    return m[1] === 'resnets' ? `middle_block.${2 * Number(m[2])}.${resnetRest(m[3])}` : `middle_block.1.${m[3]}`;
  }
  m = /^up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)$/.exec(path);
  if (m) {
    const index = Number(m[1]) * perBlock + Number(m[3]);
    return m[2] === 'resnets' ? `output_blocks.${index}.0.${resnetRest(m[4])}` : `output_blocks.${index}.1.${m[4]}`;
  }
  m = /^up_blocks\.(\d+)\.upsamplers\.0\.conv$/.exec(path);
  if (m) {
    const block = Number(m[1]);
    const slot = shape.upBlocksWithAttention.has(block) ? 2 : 1;
    return `output_blocks.${block * perBlock + shape.layersPerBlock}.${slot}.conv`;
  }
  return undefined;
}

const underscore = (name: string): string => name.replace(/\./g, '_');

/** Looks up LoRA layer names among one component's module paths. */
export class ModuleResolver {
  private readonly exact = new Set<string>();
  /** Alternative spelling → module path; null where two modules share the spelling. */
  private readonly aliases = new Map<string, string | null>();

  constructor(paths: Iterable<string>, component: 'unet' | 'text_encoder') {
    const all = [...paths];
    const shape = component === 'unet' ? unetShape(all) : undefined;
    for (const path of all) {
      this.exact.add(path);
      this.alias(underscore(path), path);
      const ldm = shape && diffusersToLdm(path, shape);
      if (ldm) {
        this.alias(ldm, path);
        this.alias(underscore(ldm), path);
      }
    }
  }

  resolve(layer: Pick<LoraLayerRef, 'name' | 'naming'>): string | undefined {
    if (this.exact.has(layer.name)) return layer.name;
    return this.aliases.get(layer.name) ?? undefined;
  }

  private alias(name: string, path: string): void {
    if (name === path) return;
    const existing = this.aliases.get(name);
    this.aliases.set(name, existing === undefined || existing === path ? path : null);
  }
}
