/**
 * The building blocks shared by the text encoder, UNet and VAE, each exported in the op
 * pattern torch.onnx.export (opset 17) produces for the corresponding torch module.
 */
import type { Scope, TensorFill } from './graph.ts';

export const zeros: TensorFill = { kind: 'constant', value: 0 };
export const ones: TensorFill = { kind: 'constant', value: 1 };

/** Keeps activations of order 1 through a layer with `fanIn` inputs. */
export function scaled(fanIn: number, gain = 1): TensorFill {
  return { kind: 'random', std: gain / Math.sqrt(fanIn) };
}

/** nn.Linear on a 3-D input: MatMul with an anonymous transposed [in, out] weight, then Add of the bias. */
export function linear(s: Scope, x: string, inFeatures: number, outFeatures: number, bias = true, gain = 1): string {
  const weight = s.graph.anonymousParameter('MatMul', [inFeatures, outFeatures], scaled(inFeatures, gain));
  const y = s.op('MatMul', [x, weight]);
  if (!bias) return y;
  return s.op('Add', [s.param('bias', [outFeatures], zeros), y]);
}

/** nn.Linear on a 2-D input: Gemm with the [out, in] weight named by module path. */
export function gemm(s: Scope, x: string, inFeatures: number, outFeatures: number): string {
  const weight = s.param('weight', [outFeatures, inFeatures], scaled(inFeatures));
  const bias = s.param('bias', [outFeatures], zeros);
  return s.op('Gemm', [x, weight, bias], { alpha: { f: 1 }, beta: { f: 1 }, transB: { i: 1 } });
}

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  /** [top, left, bottom, right]; defaults to "same" padding for odd kernels. */
  pads?: number[];
  gain?: number;
}

export function conv(s: Scope, x: string, inChannels: number, outChannels: number, options: ConvOptions = {}): string {
  const k = options.kernel ?? 3;
  const p = (k - 1) / 2;
  const weight = s.param('weight', [outChannels, inChannels, k, k], scaled(inChannels * k * k, options.gain));
  const bias = s.param('bias', [outChannels], zeros);
  return s.op('Conv', [x, weight, bias], {
    dilations: { ints: [1, 1] },
    group: { i: 1 },
    kernel_shape: { ints: [k, k] },
    pads: { ints: options.pads ?? [p, p, p, p] },
    strides: { ints: [options.stride ?? 1, options.stride ?? 1] },
  });
}

/** nn.GroupNorm as torch exports it at opset 17: Reshape → InstanceNormalization → Reshape → Mul → Add. */
export function groupNorm(s: Scope, x: string, channels: number, groups: number, epsilon: number): string {
  const g = s.graph;
  const grouped = s.op('Reshape', [x, g.int64s([0, groups, -1])]);
  const unitScale = g.floatConstant([groups], new Float32Array(groups).fill(1));
  const zeroBias = g.floatConstant([groups], new Float32Array(groups));
  const normed = s.op('InstanceNormalization', [grouped, unitScale, zeroBias], { epsilon: { f: epsilon } });
  const restored = s.op('Reshape', [normed, s.op('Shape', [x])]);
  const scaledOut = s.op('Mul', [restored, s.param('weight', [channels, 1, 1], ones)]);
  return s.op('Add', [scaledOut, s.param('bias', [channels, 1, 1], zeros)]);
}

export function layerNorm(s: Scope, x: string, channels: number, epsilon: number): string {
  const weight = s.param('weight', [channels], ones);
  const bias = s.param('bias', [channels], zeros);
  return s.op('LayerNormalization', [x, weight, bias], { axis: { i: -1 }, epsilon: { f: epsilon } });
}

export function silu(s: Scope, x: string): string {
  return s.op('Mul', [x, s.op('Sigmoid', [x])]);
}

/** Exact GELU (erf form), as torch exports F.gelu at opset 17. */
export function gelu(s: Scope, x: string): string {
  const g = s.graph;
  const erf = s.op('Erf', [s.op('Div', [x, g.floatScalar(Math.SQRT2)])]);
  const half = s.op('Mul', [x, s.op('Add', [erf, g.floatScalar(1)])]);
  return s.op('Mul', [half, g.floatScalar(0.5)]);
}

/** [B, C, H, W] → [B, H·W, C]. */
export function imageToTokens(s: Scope, x: string): string {
  return s.op('Transpose', [s.op('Reshape', [x, s.graph.int64s([0, 0, -1])])], { perm: { ints: [0, 2, 1] } });
}

/** [B, H·W, C] → the shape of `like` ([B, C, H, W]). */
export function tokensToImage(s: Scope, tokens: string, like: string): string {
  const transposed = s.op('Transpose', [tokens], { perm: { ints: [0, 2, 1] } });
  return s.op('Reshape', [transposed, s.op('Shape', [like])]);
}

export interface AttentionOptions {
  queryDim: number;
  /** Width of the context (keys/values come from `context` when given). */
  contextDim: number;
  heads: number;
  qkvBias: boolean;
  names: { q: string; k: string; v: string; out: string };
  /** Added to the attention scores (causal mask). */
  mask?: string;
}

/** Multi-head scaled dot-product attention over [B, N, C] tokens. */
export function attention(s: Scope, x: string, context: string, o: AttentionOptions): string {
  const g = s.graph;
  const headDim = o.queryDim / o.heads;
  const q = linear(s.child(o.names.q), x, o.queryDim, o.queryDim, o.qkvBias);
  const k = linear(s.child(o.names.k), context, o.contextDim, o.queryDim, o.qkvBias);
  const v = linear(s.child(o.names.v), context, o.contextDim, o.queryDim, o.qkvBias);
  const split = g.int64s([0, 0, o.heads, headDim]);
  const heads = (t: string, perm: number[]): string => s.op('Transpose', [s.op('Reshape', [t, split])], { perm: { ints: perm } });
  const qh = heads(q, [0, 2, 1, 3]);
  const kh = heads(k, [0, 2, 3, 1]);
  const vh = heads(v, [0, 2, 1, 3]);
  let scores = s.op('Mul', [s.op('MatMul', [qh, kh]), g.floatScalar(1 / Math.sqrt(headDim))]);
  if (o.mask) scores = s.op('Add', [scores, o.mask]);
  const probs = s.op('Softmax', [scores], { axis: { i: -1 } });
  const merged = s.op('Transpose', [s.op('MatMul', [probs, vh])], { perm: { ints: [0, 2, 1, 3] } });
  const flat = s.op('Reshape', [merged, g.int64s([0, 0, o.queryDim])]);
  return linear(s.child(o.names.out), flat, o.queryDim, o.queryDim, true);
}

/** Nearest-neighbour upsampling by `factor` (F.interpolate(scale_factor=factor, mode='nearest')). */
export function upsampleNearest(s: Scope, x: string, factor: number): string {
  // Resize takes float32 scales whatever the data type.
  const scales = s.graph.constant('float32', [4], Float32Array.of(1, 1, factor, factor));
  return s.op('Resize', [x, '', scales], {
    coordinate_transformation_mode: { s: 'asymmetric' },
    cubic_coeff_a: { f: -0.75 },
    mode: { s: 'nearest' },
    nearest_mode: { s: 'floor' },
  });
}
