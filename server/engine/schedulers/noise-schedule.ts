import type { SchedulerSettings } from './settings.ts';

/** ᾱ_t = ∏(1 − β) over the training timesteps, in float64. */
export function alphasCumprod(settings: SchedulerSettings): Float64Array {
  const n = settings.numTrainTimesteps;
  const betas = new Float64Array(n);
  if (settings.trainedBetas) {
    betas.set(settings.trainedBetas);
  } else if (settings.betaSchedule === 'linear') {
    for (let i = 0; i < n; i++) betas[i] = settings.betaStart + ((settings.betaEnd - settings.betaStart) * i) / (n - 1);
  } else {
    const from = Math.sqrt(settings.betaStart);
    const to = Math.sqrt(settings.betaEnd);
    for (let i = 0; i < n; i++) betas[i] = (from + ((to - from) * i) / (n - 1)) ** 2;
  }
  const cumprod = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - betas[i];
    cumprod[i] = product;
  }
  return cumprod;
}

/** The VE noise level σ_t = √((1 − ᾱ_t) / ᾱ_t) for every training timestep. */
export function trainingSigmas(cumprod: Float64Array): Float64Array {
  return cumprod.map((a) => Math.sqrt((1 - a) / a));
}

/** Piecewise-linear lookup of `table` at fractional index `x` (numpy `interp` over 0 … n−1, clamped). */
export function interpolate(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1;
  if (x <= 0) return table[0];
  if (x >= last) return table[last];
  const low = Math.floor(x);
  const fraction = x - low;
  return fraction === 0 ? table[low] : table[low] + (table[low + 1] - table[low]) * fraction;
}

/** Inverse of the σ schedule: fractional timestep whose log σ matches, interpolated between neighbours. */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigmas[i] <= logSigma) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const weight = Math.min(1, Math.max(0, (logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1])));
  return (1 - weight) * low + weight * (low + 1);
}

/** Karras et al. (2022) σ ramp with ρ = 7, from σ_max down to σ_min in `count` points. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return Array.from({ length: count }, (_, i) => {
    const ramp = count === 1 ? 0 : i / (count - 1);
    return (maxInv + ramp * (minInv - maxInv)) ** rho;
  });
}
