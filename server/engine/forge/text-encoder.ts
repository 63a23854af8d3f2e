/** CLIPTextModel (transformers) as exported for SD1.5: pre-LN transformer, causal mask, quick_gelu MLP. */
import type { GraphBuilder, Scope } from './graph.ts';
import { attention, layerNorm, linear } from './layers.ts';
import { castOutput, type IoTypes } from './io.ts';

export interface TextEncoderConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
}

export const SEQUENCE_LENGTH = 77;
const LAYER_NORM_EPS = 1e-5;

function quickGelu(s: Scope, x: string): string {
  return s.op('Mul', [x, s.op('Sigmoid', [s.op('Mul', [x, s.graph.floatScalar(1.702)])])]);
}

function causalMask(g: GraphBuilder): string {
  const n = SEQUENCE_LENGTH;
  const mask = new Float32Array(n * n);
  // The dtype's lowest finite value, as transformers fills its causal mask.
  const lowest = g.floatType === 'float16' ? -65504 : -3.4028234663852886e38;
  for (let row = 0; row < n; row++) for (let col = row + 1; col < n; col++) mask[row * n + col] = lowest;
  return g.floatConstant([1, 1, n, n], mask);
}

function encoderLayer(s: Scope, x: string, c: TextEncoderConfig, mask: string): string {
  const normed = layerNorm(s.child('layer_norm1'), x, c.hidden, LAYER_NORM_EPS);
  const attn = attention(s.child('self_attn'), normed, normed, {
    queryDim: c.hidden,
    contextDim: c.hidden,
    heads: c.heads,
    qkvBias: true,
    names: { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' },
    mask,
  });
  const afterAttn = s.op('Add', [x, attn]);
  const mlp = s.child('mlp');
  const hidden = linear(mlp.child('fc1'), layerNorm(s.child('layer_norm2'), afterAttn, c.hidden, LAYER_NORM_EPS), c.hidden, c.intermediate);
  const out = linear(mlp.child('fc2'), quickGelu(mlp.child('activation_fn'), hidden), c.intermediate, c.hidden);
  return s.op('Add', [afterAttn, out]);
}

export function buildTextEncoder(g: GraphBuilder, c: TextEncoderConfig, io: IoTypes): void {
  g.input('input_ids', io.inputIds, ['batch', SEQUENCE_LENGTH]);
  const model = g.root('text_model');
  const embeddings = model.child('embeddings');
  const tokens = embeddings.op('Gather', [
    embeddings.child('token_embedding').param('weight', [c.vocabSize, c.hidden], { kind: 'random', std: 0.02 }),
    'input_ids',
  ]);
  let x = embeddings.op('Add', [tokens, embeddings.child('position_embedding').param('weight', [SEQUENCE_LENGTH, c.hidden], { kind: 'random', std: 0.01 })]);
  const mask = causalMask(g);
  for (let i = 0; i < c.layers; i++) x = encoderLayer(model.child('encoder', `layers.${i}`), x, c, mask);
  const lastHidden = layerNorm(model.child('final_layer_norm'), x, c.hidden, LAYER_NORM_EPS);

  // pooler_output: the hidden state at the end-of-text token, which has the largest id.
  const ids32 = io.inputIds === 'int32' ? 'input_ids' : model.op('Cast', ['input_ids'], { to: { i: 6 } });
  const eos = model.op('ArgMax', [ids32], { axis: { i: -1 }, keepdims: { i: 1 } });
  const pooled = model.op('GatherND', [lastHidden, eos], { batch_dims: { i: 1 } });

  castOutput(g, model, lastHidden, 'last_hidden_state', io.float, ['batch', SEQUENCE_LENGTH, c.hidden]);
  castOutput(g, model, pooled, 'pooler_output', io.float, ['batch', c.hidden]);
}
