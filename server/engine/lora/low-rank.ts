/**
 * The merge arithmetic: adds scale · (up · down) to a weight in the layout the model stores it.
 * up is [out, r], down is [r, in] (conv kernels flattened into `in`). Each output row is
 * accumulated in float64 and added to the float32 weight once, so the result does not depend
 * on the rank's summation order beyond one rounding. Ranks are taken four at a time so that
 * each pass over a row does four multiply-adds per load and store of the accumulator.
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
  const { up, down, outFeatures, inFeatures, rank } = pair;
  if (layout === 'out_in') {
    // Row o of the update: Σ_k (scale · up[o, k]) · down[k, :].
    const coefficients = new Float64Array(rank);
    const rows = new Float64Array(rank * inFeatures);
    rows.set(down);
    accumulate(weight, outFeatures, inFeatures, rank, rows, (o) => {
      for (let k = 0; k < rank; k++) coefficients[k] = scale * up[o * rank + k];
      return coefficients;
    });
  } else {
    // Row i of the stored (transposed) update: Σ_k down[k, i] · (scale · up[:, k]).
    const rows = new Float64Array(rank * outFeatures);
    for (let o = 0; o < outFeatures; o++) for (let k = 0; k < rank; k++) rows[k * outFeatures + o] = scale * up[o * rank + k];
    const coefficients = new Float64Array(rank);
    accumulate(weight, inFeatures, outFeatures, rank, rows, (i) => {
      for (let k = 0; k < rank; k++) coefficients[k] = down[k * inFeatures + i];
      return coefficients;
    });
  }
}

/** weight[r, :] += Σ_k c_r[k] · rows[k, :] for every target row r (`width` columns). */
function accumulate(weight: Float32Array, height: number, width: number, rank: number, rows: Float64Array, coefficientsOf: (r: number) => Float64Array): void {
  const sum = new Float64Array(width);
  for (let r = 0; r < height; r++) {
    const c = coefficientsOf(r);
    sum.fill(0);
    let k = 0;
    for (; k + 4 <= rank; k += 4) {
      const [c0, c1, c2, c3] = [c[k], c[k + 1], c[k + 2], c[k + 3]];
      if (c0 === 0 && c1 === 0 && c2 === 0 && c3 === 0) continue;
      const b0 = k * width;
      const b1 = b0 + width;
      const b2 = b1 + width;
      const b3 = b2 + width;
      for (let j = 0; j < width; j++) sum[j] += c0 * rows[b0 + j] + c1 * rows[b1 + j] + c2 * rows[b2 + j] + c3 * rows[b3 + j];
    }
    for (; k < rank; k++) {
      const ck = c[k];
      if (ck === 0) continue;
      const b = k * width;
      for (let j = 0; j < width; j++) sum[j] += ck * rows[b + j];
    }
    const w = r * width;
    for (let j = 0; j < width; j++) weight[w + j] += sum[j];
  }
}
