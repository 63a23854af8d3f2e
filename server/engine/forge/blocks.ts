/** diffusers building blocks shared by the UNet and the VAE: ResnetBlock2D, attention blocks, up/down samplers. */
import type { Scope } from './graph.ts';
import { attention, conv, gemm, gelu, groupNorm, imageToTokens, layerNorm, linear, silu, tokensToImage, upsampleNearest } from './layers.ts';

export interface ResnetOptions {
  groups: number;
  eps: number;
  /** Time embedding tensor and its width (UNet); absent in the VAE. */
  temb?: { tensor: string; channels: number };
}

export function resnetBlock(s: Scope, x: string, inChannels: number, outChannels: number, o: ResnetOptions): string {
  const act = s.child('nonlinearity');
  let h = conv(s.child('conv1'), silu(act, groupNorm(s.child('norm1'), x, inChannels, o.groups, o.eps)), inChannels, outChannels);
  if (o.temb) {
    const proj = s.child('time_emb_proj');
    const t = gemm(proj, silu(act, o.temb.tensor), o.temb.channels, outChannels);
    h = s.op('Add', [h, s.op('Unsqueeze', [t, s.graph.int64s([2, 3])])]);
  }
  h = conv(s.child('conv2'), silu(act, groupNorm(s.child('norm2'), h, outChannels, o.groups, o.eps)), outChannels, outChannels);
  const shortcut = inChannels === outChannels ? x : conv(s.child('conv_shortcut'), x, inChannels, outChannels, { kernel: 1 });
  return s.op('Add', [shortcut, h]);
}

export interface TransformerOptions {
  channels: number;
  heads: number;
  groups: number;
  context: string;
  contextDim: number;
}

function geglu(s: Scope, x: string, dim: number): string {
  const inner = 4 * dim;
  const net0 = s.child('net.0');
  const projected = linear(net0.child('proj'), x, dim, 2 * inner);
  const [hidden, gate] = net0.ops('Split', [projected, s.graph.int64s([inner, inner])], { axis: { i: -1 } }, 2);
  const gated = net0.op('Mul', [hidden, gelu(net0, gate)]);
  return linear(s.child('net.2'), gated, inner, dim);
}

/** Transformer2DModel with one BasicTransformerBlock, use_linear_projection false (SD1.5). */
export function transformer2d(s: Scope, x: string, o: TransformerOptions): string {
  const c = o.channels;
  const normed = groupNorm(s.child('norm'), x, c, o.groups, 1e-6);
  let h = imageToTokens(s, conv(s.child('proj_in'), normed, c, c, { kernel: 1 }));
  const block = s.child('transformer_blocks.0');
  const attn = (name: string, norm: string, context: string | undefined, contextDim: number): void => {
    const n = layerNorm(block.child(norm), h, c, 1e-5);
    const names = { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' };
    const a = attention(block.child(name), n, context ?? n, { queryDim: c, contextDim, heads: o.heads, qkvBias: false, names });
    h = block.op('Add', [a, h]);
  };
  attn('attn1', 'norm1', undefined, c);
  attn('attn2', 'norm2', o.context, o.contextDim);
  h = block.op('Add', [geglu(block.child('ff'), layerNorm(block.child('norm3'), h, c, 1e-5), c), h]);
  const out = conv(s.child('proj_out'), tokensToImage(s, h, x), c, c, { kernel: 1 });
  return s.op('Add', [out, x]);
}

/** The VAE's single-head self-attention over pixels (diffusers Attention with group_norm and residual). */
export function vaeAttention(s: Scope, x: string, channels: number, groups: number): string {
  const tokens = imageToTokens(s, groupNorm(s.child('group_norm'), x, channels, groups, 1e-6));
  const names = { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' };
  const a = attention(s, tokens, tokens, { queryDim: channels, contextDim: channels, heads: 1, qkvBias: true, names });
  return s.op('Add', [tokensToImage(s, a, x), x]);
}

/** Downsample2D: UNet pads 1 on all sides; the VAE pads right/bottom only (F.pad(0, 1, 0, 1)). */
export function downsample(s: Scope, x: string, channels: number, asymmetricPadding: boolean): string {
  const pads = asymmetricPadding ? [0, 0, 1, 1] : [1, 1, 1, 1];
  return conv(s.child('downsamplers.0', 'conv'), x, channels, channels, { stride: 2, pads });
}

export function upsample(s: Scope, x: string, channels: number): string {
  const up = s.child('upsamplers.0');
  return conv(up.child('conv'), upsampleNearest(up, x, 2), channels, channels);
}
