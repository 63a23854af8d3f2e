/**
 * Float32 arithmetic in JavaScript doubles. `+ - * sqrt` of two float32 values rounded once to double
 * and then to float32 give the correctly rounded float32 result, so `Math.fround` after each op suffices.
 * A fused multiply-add needs more care: double rounding can go wrong when the double sum lands exactly
 * on a midpoint between two floats.
 */
const f = Math.fround;

/** IEEE fmaf(a, b, c) for float32 inputs: a·b + c rounded once to float32. */
export function fmaf(a: number, b: number, c: number): number {
  const product = a * b; // exact: 24-bit × 24-bit significands fit in 53 bits
  const sum = product + c;
  const rounded = f(sum);
  if (rounded === sum) return rounded;
  const mirror = 2 * sum - rounded; // the other neighbour when `sum` is a midpoint
  if (f(mirror) !== mirror) return rounded;
  // `sum` is a midpoint: the exact value decides, which is sum + error (Knuth's TwoSum).
  const virtualC = sum - product;
  const error = product - (sum - virtualC) + (c - virtualC);
  if (error === 0) return rounded;
  return error > 0 ? Math.max(rounded, mirror) : Math.min(rounded, mirror);
}

const scratch = new DataView(new ArrayBuffer(4));

export function floatBits(value: number): number {
  scratch.setFloat32(0, value, true);
  return scratch.getUint32(0, true);
}

export function floatFromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}
