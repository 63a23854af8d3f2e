/**
 * The merge arithmetic: adds scale · (up · down) to a weight in the layout the model stores it.
 * up is [out, r], down is [r, in] (conv kernels flattened into `in`). Each output row is
 * accumulated in float64 and added to the float32 weight once, so the result does not depend
 * on the rank's summation order beyond one rounding.
 */
import type { WeightLayout } from './onnx-model.ts';

export interface LowRankPair {
  up: Float32Array;
  down: Float32Array;
  outFeatures: number;
  inFeatures: number;
  rank: number;
}

/** weight ([out, in] or, for `in_out`, [in, out], row-major) += scale · up · down (transposed for `in_out`). */
export function addLowRank(weight: Float32Array, layout: WeightLayout, pair: LowRankPair, scale: number): void {
  if (layout === 'out_in') addOutIn(weight, pair, scale);
  else addInOut(weight, pair, scale);
}

function addOutIn(weight: Float32Array, { up, down, outFeatures, inFeatures, rank }: LowRankPair, scale: number): void {
  const row = new Float64Array(inFeatures);
  for (let o = 0; o < outFeatures; o++) {
    row.fill(0);
    for (let k = 0; k < rank; k++) {
      const a = scale * up[o * rank + k];
      if (a === 0) continue;
      const d = k * inFeatures;
      for (let i = 0; i < inFeatures; i++) row[i] += a * down[d + i];
    }
    const w = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) weight[w + i] += row[i];
  }
}

function addInOut(weight: Float32Array, { up, down, outFeatures, inFeatures, rank }: LowRankPair, scale: number): void {
  // Transpose up once so the inner loop walks contiguous memory: upT is [r, out].
  const upT = new Float64Array(rank * outFeatures);
  for (let o = 0; o < outFeatures; o++) for (let k = 0; k < rank; k++) upT[k * outFeatures + o] = scale * up[o * rank + k];
  const row = new Float64Array(outFeatures);
  for (let i = 0; i < inFeatures; i++) {
    row.fill(0);
    for (let k = 0; k < rank; k++) {
      const a = down[k * inFeatures + i];
      if (a === 0) continue;
      const u = k * outFeatures;
      for (let o = 0; o < outFeatures; o++) row[o] += a * upT[u + o];
    }
    const w = i * outFeatures;
    for (let o = 0; o < outFeatures; o++) weight[w + o] += row[o];
  }
}
