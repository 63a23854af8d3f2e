/**
 * The oracle model: a UNet that predicts the exact noise for one known latent image x0, and a
 * linear VAE decoder, so every correct deterministic scheduler ends on a known picture.
 */
import type { GraphBuilder } from './graph.ts';
import { castInput, castOutput } from './io.ts';
import { upsampleNearest } from './layers.ts';
import { DataType } from './onnx.ts';
import { timestepInput, type UNetIo } from './unet.ts';

export const ORACLE_LATENT_SIZE = 16;
export const ORACLE_IMAGE_SIZE = ORACLE_LATENT_SIZE * 8;
export const LATENT_SCALING = 0.18215;
const CHANNELS = 4;

/** Decoder: rgb_c = 0.5·z_c + 0.1·z_3 (c = 0, 1, 2), so the fourth latent channel matters too. */
export const ORACLE_DECODER_WEIGHT = [
  [0.5, 0, 0, 0.1],
  [0, 0.5, 0, 0.1],
  [0, 0, 0.5, 0.1],
];

export interface OraclePicture {
  /** 16×16 RGB8, row-major. */
  rgb: Uint8Array;
  /** x0, [1, 4, 16, 16] row-major, in scaled latent units (what the scheduler denoises towards). */
  x0: Float32Array;
}

/** A recognisable 16×16 picture: a sky gradient, a red square, a green disc and a yellow bar. */
function pictureRgb(): Uint8Array {
  const n = ORACLE_LATENT_SIZE;
  const rgb = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let color = [40 + 8 * y, 90 + 6 * y, 230 - 8 * y];
      if (y >= 2 && y <= 6 && x >= 2 && x <= 6) color = [220, 40, 30];
      if ((x - 10.5) ** 2 + (y - 9.5) ** 2 <= 12) color = [30, 200, 60];
      if (y >= 13 && y <= 14 && x >= 1 && x <= 14) color = [240, 220, 20];
      rgb.set(color, (y * n + x) * 3);
    }
  }
  return rgb;
}

/**
 * Solves x0 so that clamp((decoder(x0 / 0.18215) + 1) / 2) = (k + 0.25) / 255 for each 8-bit
 * value k: rounding and truncation both give back k, whatever RGB8 conversion a pipeline uses.
 */
export function oraclePicture(): OraclePicture {
  const n = ORACLE_LATENT_SIZE;
  const plane = n * n;
  const rgb = pictureRgb();
  const x0 = new Float32Array(CHANNELS * plane);
  for (let i = 0; i < plane; i++) {
    const z3 = (i % 2 === (Math.floor(i / n) % 2) ? 0.5 : -0.5);
    x0[3 * plane + i] = z3 * LATENT_SCALING;
    for (let c = 0; c < 3; c++) {
      const target = 2 * ((rgb[i * 3 + c] + 0.25) / 255) - 1;
      const zc = (target - ORACLE_DECODER_WEIGHT[c][3] * z3) / ORACLE_DECODER_WEIGHT[c][c];
      x0[c * plane + i] = zc * LATENT_SCALING;
    }
  }
  return { rgb, x0 };
}

/** ε = (x_t·√(1 + σ²) − x0) / σ, with σ interpolated from the 1000 training sigmas. */
export function buildOracleUNet(g: GraphBuilder, io: UNetIo, sigmas: Float64Array, x0: Float32Array, crossAttentionDim: number): void {
  const root = g.root();
  const batch = io.batch === 1 ? 1 : 'batch';
  const n = ORACLE_LATENT_SIZE;
  const sample = castInput(g, root, 'sample', io.float, [batch, CHANNELS, n, n]);
  const t = timestepInput(g, root, io, batch);
  castInput(g, root, 'encoder_hidden_states', io.float, [batch, 'sequence', crossAttentionDim]);

  const s = g.root('oracle');
  const last = sigmas.length - 1;
  const clamped = s.op('Clip', [t, g.floatScalar(0), g.floatScalar(last)]);
  const low = s.op('Floor', [clamped]);
  const high = s.op('Min', [s.op('Add', [low, g.floatScalar(1)]), g.floatScalar(last)]);
  const weight = s.op('Sub', [clamped, low]);
  const table = g.constant('float32', [sigmas.length], Float32Array.from(sigmas));
  const lookup = (index: string): string => s.op('Gather', [table, s.op('Cast', [index], { to: { i: DataType.INT64 } })]);
  const sigmaLow = lookup(low);
  const sigma = s.op('Add', [sigmaLow, s.op('Mul', [weight, s.op('Sub', [lookup(high), sigmaLow])])]);
  const sigma4d = s.op('Reshape', [sigma, g.int64s([-1, 1, 1, 1])]);
  const scale = s.op('Sqrt', [s.op('Add', [s.op('Mul', [sigma4d, sigma4d]), g.floatScalar(1)])]);
  const x0Tensor = g.constant('float32', [1, CHANNELS, n, n], x0);
  const noise = s.op('Div', [s.op('Sub', [s.op('Mul', [sample, scale]), x0Tensor]), sigma4d]);
  castOutput(g, root, noise, 'out_sample', io.float, [batch, CHANNELS, n, n]);
}

/** A 1×1 convolution 4 → 3 followed by nearest ×8 upsampling. */
export function buildOracleVaeDecoder(g: GraphBuilder, io: UNetIo): void {
  const root = g.root();
  const latent = castInput(g, root, 'latent_sample', io.float, ['batch', CHANNELS, 'height', 'width']);
  const s = g.root('decoder', 'conv_out');
  const weight = s.param('weight', [3, CHANNELS, 1, 1], { kind: 'values', values: Float32Array.from(ORACLE_DECODER_WEIGHT.flat()) });
  const bias = s.param('bias', [3], { kind: 'constant', value: 0 });
  const rgb = s.op('Conv', [latent, weight, bias], { kernel_shape: { ints: [1, 1] } });
  const image = upsampleNearest(g.root('decoder', 'upsample'), rgb, 8);
  castOutput(g, root, image, 'sample', io.float, ['batch', 3, 'height_x8', 'width_x8']);
}

/** An approximate inverse of the decoder: 8×8 average pooling, then z_c = 2·rgb_c. */
export function buildOracleVaeEncoder(g: GraphBuilder, io: UNetIo): void {
  const root = g.root();
  const image = castInput(g, root, 'sample', io.float, ['batch', 3, 'height', 'width']);
  const pooled = g.root('encoder', 'pool').op('AveragePool', [image], { kernel_shape: { ints: [8, 8] }, strides: { ints: [8, 8] } });
  const s = g.root('encoder', 'conv_out');
  const w = new Float32Array(CHANNELS * 3);
  for (let c = 0; c < 3; c++) w[c * 3 + c] = 2;
  const weight = s.param('weight', [CHANNELS, 3, 1, 1], { kind: 'values', values: w });
  const bias = s.param('bias', [CHANNELS], { kind: 'constant', value: 0 });
  const latent = s.op('Conv', [pooled, weight, bias], { kernel_shape: { ints: [1, 1] } });
  castOutput(g, root, latent, 'latent_sample', io.float, ['batch', CHANNELS, 'height_div8', 'width_div8']);
}
