/**
 * TAESD (madebyollin/taesd), the tiny autoencoder's decoder: latents in UNet space (no 1/0.18215) → RGB.
 *
 *   Clamp: tanh(x / 3) · 3 → conv 4→64 → ReLU → 3 × [3 Blocks → nearest ×2 → conv 64→64 (no bias)] → Block → conv 64→3
 *   Block: ReLU(conv-ReLU-conv-ReLU-conv(x) + x)
 *
 * Two layouts, both seen in the wild:
 *  - `diffusers`: a torch.onnx.export of diffusers' AutoencoderTiny.decode (how the hub's TAESD ONNX folders are made):
 *    input `latent_sample`, output `sample` in −1 … 1 (DecoderTiny ends with `.mul(2).sub(1)`), parameters
 *    `decoder.layers.N.…`, file `vae_decoder/model.onnx`.
 *  - `original`: an export of taesd.py's `Decoder()` nn.Sequential: output in 0 … 1 (the last node is the Conv),
 *    parameters `N.…` (index 0 is the Clamp, so every layer index is one higher), file `taesd_decoder.onnx`.
 * The same seed gives the same weights in both layouts (values are drawn by the diffusers parameter name).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeJson } from './folder.ts';
import { GraphBuilder, type Scope, type TensorFill } from './graph.ts';
import { castInput, castOutput } from './io.ts';
import { upsampleNearest } from './layers.ts';
import { TensorRandom } from './random.ts';
import { writeModel } from './write-model.ts';

export type TaesdLayout = 'diffusers' | 'original';
export const TAESD_LAYOUTS: readonly TaesdLayout[] = ['diffusers', 'original'];

export const TAESD_CHANNELS = 64;
export const TAESD_LATENT_CHANNELS = 4;
/** Blocks per stage; an upsampler and a bias-free conv follow every stage but the last. */
export const TAESD_BLOCKS = [3, 3, 3, 1] as const;

/** Where each layout's file goes inside the forged folder. */
export const TAESD_FILES: Record<TaesdLayout, string> = { diffusers: 'vae_decoder/model.onnx', original: 'taesd_decoder.onnx' };

/** The graph I/O names of the `original` layout (any names work: the loader takes the only input and output). */
export const TAESD_ORIGINAL_IO = { input: 'latent', output: 'image' } as const;

const IMAGE_DIMS = ['batch', 'channels', 'height', 'width'];

interface Build {
  g: GraphBuilder;
  layout: TaesdLayout;
  seed: number;
}

/** Seeded values drawn by the diffusers name, whatever name the layout gives the tensor. */
function values(b: Build, diffusersName: string, count: number, std: number): TensorFill {
  const out = new Float32Array(count);
  new TensorRandom(b.seed, diffusersName).fillUniform(out, std);
  return { kind: 'values', values: out };
}

/**
 * The node scope of `decoder.layers[index]`: torch names a called nn.Sequential's children `<attr>.<i>` under the
 * Sequential's own scope (`/decoder/layers/layers.0/Conv`, `/3/conv/conv.0/Conv`), unlike the parameter names.
 */
function layerScope(b: Build, index: number): Scope {
  return b.layout === 'diffusers' ? b.g.root('decoder', 'layers', `layers.${index}`) : b.g.root(String(index + 1));
}

/** The parameter name prefix of `decoder.layers[index]`: `decoder.layers.0` (diffusers) or `1` (taesd.py). */
function layerPath(b: Build, index: number): string {
  return b.layout === 'diffusers' ? `decoder.layers.${index}` : String(index + 1);
}

interface ConvSpec {
  /** Parameter prefix after the layer's: '' or `conv.0`. */
  sub: string;
  inChannels: number;
  outChannels: number;
  bias: boolean;
  gain?: number;
  biasMean?: number;
}

function conv(b: Build, s: Scope, index: number, x: string, c: ConvSpec): string {
  const k = 3;
  const fanIn = c.inChannels * k * k;
  const name = (suffix: string) => [layerPath(b, index), c.sub, suffix].filter(Boolean).join('.');
  const seedName = (suffix: string) => [`decoder.layers.${index}`, c.sub, suffix].filter(Boolean).join('.');
  const weight = b.g.parameter(name('weight'), [c.outChannels, c.inChannels, k, k], values(b, seedName('weight'), c.outChannels * fanIn, (c.gain ?? 1) / Math.sqrt(fanIn)));
  const inputs = [x, weight];
  if (c.bias) {
    // Real TAESD biases are far from zero; random ones let a numerics check see a bias wired to the wrong conv.
    const fill = values(b, seedName('bias'), c.outChannels, 0.05);
    const biasMean = c.biasMean ?? 0;
    if (biasMean !== 0) (fill as { values: Float32Array }).values.forEach((v, i, a) => (a[i] = v + biasMean));
    inputs.push(b.g.parameter(name('bias'), [c.outChannels], fill));
  }
  return s.op('Conv', inputs, {
    dilations: { ints: [1, 1] },
    group: { i: 1 },
    kernel_shape: { ints: [k, k] },
    pads: { ints: [1, 1, 1, 1] },
    strides: { ints: [1, 1] },
  });
}

/** AutoencoderTinyBlock / taesd.py Block with n_in == n_out (the skip is an Identity, so no node). */
function block(b: Build, index: number, x: string): string {
  const s = layerScope(b, index);
  const c = TAESD_CHANNELS;
  const inner = s.child('conv');
  // He gain through the ReLUs; a gain below 1 on the last conv keeps ten residual blocks of random weights from blowing up.
  let h = conv(b, inner.child('conv.0'), index, x, { sub: 'conv.0', inChannels: c, outChannels: c, bias: true, gain: Math.SQRT2 });
  h = inner.child('conv.1').op('Relu', [h]);
  h = conv(b, inner.child('conv.2'), index, h, { sub: 'conv.2', inChannels: c, outChannels: c, bias: true, gain: Math.SQRT2 });
  h = inner.child('conv.3').op('Relu', [h]);
  h = conv(b, inner.child('conv.4'), index, h, { sub: 'conv.4', inChannels: c, outChannels: c, bias: true, gain: 0.5 });
  return s.child('fuse').op('Relu', [s.op('Add', [h, x])]);
}

export function buildTaesdDecoder(g: GraphBuilder, layout: TaesdLayout, seed: number, ioType: 'float32' | 'float16' = g.floatType): void {
  const b: Build = { g, layout, seed };
  const root = g.root();
  const io = layout === 'diffusers' ? { input: 'latent_sample', output: 'sample' } : TAESD_ORIGINAL_IO;
  const latent = castInput(g, root, io.input, ioType, IMAGE_DIMS);
  const clamp = layout === 'diffusers' ? g.root('decoder') : g.root('0');
  let h = clamp.op('Mul', [clamp.op('Tanh', [clamp.op('Div', [latent, g.floatScalar(3)])]), g.floatScalar(3)]);

  let index = 0;
  h = conv(b, layerScope(b, index), index, h, { sub: '', inChannels: TAESD_LATENT_CHANNELS, outChannels: TAESD_CHANNELS, bias: true, gain: Math.SQRT2 });
  index++;
  h = layerScope(b, index++).op('Relu', [h]);
  TAESD_BLOCKS.forEach((count, stage) => {
    for (let i = 0; i < count; i++) h = block(b, index++, h);
    const last = stage === TAESD_BLOCKS.length - 1;
    if (!last) h = upsampleNearest(layerScope(b, index++), h, 2);
    const outChannels = last ? 3 : TAESD_CHANNELS;
    // Output gain and bias: most of a random decoder's picture lands mid-range (0 … 1) instead of clipped.
    h = conv(b, layerScope(b, index), index, h, { sub: '', inChannels: TAESD_CHANNELS, outChannels, bias: last, gain: last ? 0.25 : 1, biasMean: last ? 0.4 : 0 });
    index++;
  });

  if (layout === 'diffusers') {
    const decoder = g.root('decoder');
    h = decoder.op('Sub', [decoder.op('Mul', [h, g.floatScalar(2)]), g.floatScalar(1)]);
  }
  castOutput(g, root, h, io.output, ioType, IMAGE_DIMS);
}

/** diffusers' AutoencoderTiny config for madebyollin/taesd (what `save_config` writes next to an export). */
export const TAESD_DIFFUSERS_CONFIG = {
  _class_name: 'AutoencoderTiny',
  act_fn: 'relu',
  decoder_block_out_channels: [64, 64, 64, 64],
  encoder_block_out_channels: [64, 64, 64, 64],
  force_upcast: false,
  in_channels: 3,
  latent_channels: 4,
  latent_magnitude: 3,
  latent_shift: 0.5,
  num_decoder_blocks: [3, 3, 3, 1],
  num_encoder_blocks: [1, 3, 3, 3],
  out_channels: 3,
  scaling_factor: 1.0,
  upsampling_scaling_factor: 2,
};

export interface TaesdForgeOptions {
  outDir: string;
  /** Same seed → byte-identical files. Default 0. */
  seed?: number;
  layout?: TaesdLayout;
  dtype?: 'float32' | 'float16';
}

export interface TaesdForgeReport {
  outDir: string;
  /** The decoder file, inside outDir. */
  file: string;
  layout: TaesdLayout;
  parameters: number;
  bytes: number;
  seconds: number;
}

export function taesdGraph(layout: TaesdLayout, seed: number, dtype: 'float32' | 'float16' = 'float32'): GraphBuilder {
  const g = new GraphBuilder(dtype);
  buildTaesdDecoder(g, layout, seed);
  return g;
}

/** Writes a TAESD decoder folder (the file of TAESD_FILES[layout], plus diffusers' config.json with the diffusers layout). */
export function forgeTaesd(options: TaesdForgeOptions): TaesdForgeReport {
  const started = performance.now();
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`forge: seed must be an integer in [0, 2^32), got ${seed}`);
  const layout = options.layout ?? 'diffusers';
  if (!TAESD_LAYOUTS.includes(layout)) throw new RangeError(`forge: unknown TAESD layout '${String(layout)}'`);
  const g = taesdGraph(layout, seed, options.dtype ?? 'float32');
  const file = join(options.outDir, TAESD_FILES[layout]);
  mkdirSync(dirname(file), { recursive: true });
  const bytes = writeModel(g, file, { seed });
  if (layout === 'diffusers') writeJson(join(dirname(file), 'config.json'), TAESD_DIFFUSERS_CONFIG);
  const parameters = g.parameterCount();
  writeJson(join(options.outDir, 'forge.json'), { forged: true, preset: 'taesd', seed, layout, dtype: options.dtype ?? 'float32', parameters });
  return { outDir: options.outDir, file, layout, parameters, bytes, seconds: (performance.now() - started) / 1000 };
}
