/** UNet2DConditionModel (diffusers) with the SD1.5 block layout. */
import { onnxElementType, type Dim, type GraphBuilder, type Scope } from './graph.ts';
import { conv, gemm, groupNorm, silu } from './layers.ts';
import { downsample, resnetBlock, transformer2d, upsample } from './blocks.ts';
import { castInput, castOutput, type IoTypes } from './io.ts';

export type TimestepForm = 'float-batch' | 'int64-1' | 'float-scalar';

export interface UNetConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  downBlockTypes: ('CrossAttnDownBlock2D' | 'DownBlock2D')[];
  upBlockTypes: ('UpBlock2D' | 'CrossAttnUpBlock2D')[];
  layersPerBlock: number;
  crossAttentionDim: number;
  heads: number;
  normGroups: number;
}

export interface UNetIo extends IoTypes {
  timestep: TimestepForm;
  batch: 'dynamic' | 1;
}

const NORM_EPS = 1e-5;

/** Declares the `timestep` input in the chosen form; returns a [N] tensor of the graph's float type (N = batch or 1). */
export function timestepInput(g: GraphBuilder, root: Scope, io: UNetIo, batch: Dim): string {
  if (io.timestep === 'int64-1') {
    g.input('timestep', 'int64', [1]);
    return root.op('Cast', ['timestep'], { to: { i: onnxElementType(g.floatType) } });
  }
  if (io.timestep === 'float-scalar') {
    const t = castInput(g, root, 'timestep', io.float, []);
    return root.op('Reshape', [t, g.int64s([1])]);
  }
  return castInput(g, root, 'timestep', io.float, [batch]);
}

/** Timesteps (flip_sin_to_cos true, freq_shift 0): [N] → [N, dim] as [cos, sin]. */
function timeProjection(s: Scope, t: string, dim: number): string {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = s.op('Mul', [s.op('Unsqueeze', [t, s.graph.int64s([1])]), s.graph.floatConstant([1, half], freqs)]);
  return s.op('Concat', [s.op('Cos', [args]), s.op('Sin', [args])], { axis: { i: -1 } });
}

export function buildUNet(g: GraphBuilder, c: UNetConfig, io: UNetIo): void {
  const root = g.root();
  const batch: Dim = io.batch === 1 ? 1 : 'batch';
  const sample = castInput(g, root, 'sample', io.float, [batch, 'channels', 'height', 'width']);
  const t = timestepInput(g, root, io, batch);
  const context = castInput(g, root, 'encoder_hidden_states', io.float, [batch, 'sequence', c.crossAttentionDim]);

  const base = c.blockOutChannels[0];
  const tembDim = 4 * base;
  const projected = timeProjection(g.root('time_proj'), t, base);
  const te = g.root('time_embedding');
  const temb = gemm(te.child('linear_2'), silu(te.child('act'), gemm(te.child('linear_1'), projected, base, tembDim)), tembDim, tembDim);

  const resnet = (s: Scope, x: string, cin: number, cout: number): string =>
    resnetBlock(s, x, cin, cout, { groups: c.normGroups, eps: NORM_EPS, temb: { tensor: temb, channels: tembDim } });
  const attend = (s: Scope, x: string, channels: number): string =>
    transformer2d(s, x, { channels, heads: c.heads, groups: c.normGroups, context, contextDim: c.crossAttentionDim });

  let h = conv(g.root('conv_in'), sample, c.inChannels, base);
  const skips: { tensor: string; channels: number }[] = [{ tensor: h, channels: base }];
  const last = c.blockOutChannels.length - 1;

  c.downBlockTypes.forEach((type, i) => {
    const block = g.root(`down_blocks.${i}`);
    const out = c.blockOutChannels[i];
    let channels = i === 0 ? base : c.blockOutChannels[i - 1];
    for (let j = 0; j < c.layersPerBlock; j++) {
      h = resnet(block.child(`resnets.${j}`), h, channels, out);
      channels = out;
      if (type === 'CrossAttnDownBlock2D') h = attend(block.child(`attentions.${j}`), h, out);
      skips.push({ tensor: h, channels: out });
    }
    if (i < last) {
      h = downsample(block, h, out, false);
      skips.push({ tensor: h, channels: out });
    }
  });

  const mid = g.root('mid_block');
  const deepest = c.blockOutChannels[last];
  h = resnet(mid.child('resnets.0'), h, deepest, deepest);
  h = attend(mid.child('attentions.0'), h, deepest);
  h = resnet(mid.child('resnets.1'), h, deepest, deepest);

  const reversed = [...c.blockOutChannels].reverse();
  c.upBlockTypes.forEach((type, i) => {
    const block = g.root(`up_blocks.${i}`);
    const out = reversed[i];
    const prevOut = reversed[Math.max(i - 1, 0)];
    const skipIn = reversed[Math.min(i + 1, last)];
    for (let j = 0; j <= c.layersPerBlock; j++) {
      const skip = skips.pop()!;
      const skipChannels = j === c.layersPerBlock ? skipIn : out;
      if (skip.channels !== skipChannels) throw new Error(`forge: UNet skip has ${skip.channels} channels, expected ${skipChannels}`);
      const joined = block.op('Concat', [h, skip.tensor], { axis: { i: 1 } });
      h = resnet(block.child(`resnets.${j}`), joined, (j === 0 ? prevOut : out) + skipChannels, out);
      if (type === 'CrossAttnUpBlock2D') h = attend(block.child(`attentions.${j}`), h, out);
    }
    if (i < last) h = upsample(block, h, out);
  });

  const normOut = groupNorm(g.root('conv_norm_out'), h, base, c.normGroups, NORM_EPS);
  const out = conv(g.root('conv_out'), silu(g.root('conv_act'), normOut), base, c.outChannels);
  castOutput(g, root, out, 'out_sample', io.float, [batch, 'channels', 'height', 'width']);
}
