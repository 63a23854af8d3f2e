import { floatBits, floatFromBits, fmaf } from './float32-math.ts';

/**
 * The float32 log and sin/cos that torch's AVX2 `normal_fill` uses (Cephes polynomials as vectorised in
 * `avx_mathfun.h`), evaluated one lane at a time. Bit-exactness depends on where the compiler fused a
 * multiply into the following add (GCC's default `-ffp-contract=fast`); the `fmaf` calls below mark
 * exactly those places, as checked against torch's output in tests/fixtures/rng/reference.json.
 */
const f = Math.fround;

const SQRT_HALF = f(0.7071067811865476);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.12194440e-4);
const LOG_Q2 = f(0.693359375);
const MIN_NORMAL_BITS = 0x00800000;

/** Natural logarithm of a positive float32 (inputs here are in (0, 1]). */
export function cephesLogf(input: number): number {
  const bits = Math.max(floatBits(input), MIN_NORMAL_BITS); // same as max() for positive floats
  let e = f((bits >>> 23) - 127 + 1);
  let x = floatFromBits((bits & ~0x7f800000) | floatBits(0.5)); // mantissa scaled into [0.5, 1)
  if (x < SQRT_HALF) {
    e = f(e - 1);
    x = f(f(x - 1) + x);
  } else {
    x = f(x - 1);
  }
  const z = f(x * x);
  let y = LOG_P[0];
  for (let i = 1; i < LOG_P.length; i++) y = fmaf(y, x, LOG_P[i]);
  y = f(y * x);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = fmaf(-z, 0.5, y);
  return fmaf(e, LOG_Q2, f(x + y));
}

const FOUR_OVER_PI = f(1.27323954473516);
const MINUS_DP1 = f(-0.78515625);
const MINUS_DP2 = f(-2.4187564849853515625e-4);
const MINUS_DP3 = f(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);

export interface SinCos {
  sin: number;
  cos: number;
}

/** sin and cos of a non-negative float32 angle (here in [0, 2π)). */
export function cephesSinCosf(angle: number, out: SinCos): void {
  const j = ((Math.trunc(f(angle * FOUR_OVER_PI)) + 1) & ~1) | 0;
  const y = f(j);
  let x = fmaf(y, MINUS_DP1, angle);
  x = fmaf(y, MINUS_DP2, x);
  x = fmaf(y, MINUS_DP3, x);
  const z = f(x * x);

  let cosPoly = fmaf(COS_P[0], z, COS_P[1]);
  cosPoly = fmaf(cosPoly, z, COS_P[2]);
  cosPoly = f(cosPoly * z);
  cosPoly = fmaf(cosPoly, z, -f(z * 0.5));
  cosPoly = f(cosPoly + 1);

  let sinPoly = fmaf(SIN_P[0], z, SIN_P[1]);
  sinPoly = fmaf(sinPoly, z, SIN_P[2]);
  sinPoly = f(sinPoly * z);
  sinPoly = fmaf(sinPoly, x, x);

  const sinFromSinPoly = (j & 2) === 0;
  const sin = sinFromSinPoly ? sinPoly : cosPoly;
  const cos = sinFromSinPoly ? cosPoly : sinPoly;
  out.sin = (j & 4) !== 0 ? -sin : sin;
  out.cos = ((j - 2) & 4) === 0 ? -cos : cos;
}
