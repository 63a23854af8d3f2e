/** The training noise schedule of a scheduler_config.json (scaled_linear betas, as SD1.5 uses). */
export interface NoiseScheduleConfig {
  beta_start: number;
  beta_end: number;
  beta_schedule: string;
  num_train_timesteps: number;
}

/** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) for t = 0 … num_train_timesteps − 1, in double precision. */
export function trainingSigmas(config: NoiseScheduleConfig): Float64Array {
  if (config.beta_schedule !== 'scaled_linear') throw new Error(`forge: oracle supports scaled_linear betas, not ${config.beta_schedule}`);
  const n = config.num_train_timesteps;
  const lo = Math.sqrt(config.beta_start);
  const hi = Math.sqrt(config.beta_end);
  const sigmas = new Float64Array(n);
  let alphaCumprod = 1;
  for (let i = 0; i < n; i++) {
    const beta = (lo + ((hi - lo) * i) / (n - 1)) ** 2;
    alphaCumprod *= 1 - beta;
    sigmas[i] = Math.sqrt((1 - alphaCumprod) / alphaCumprod);
  }
  return sigmas;
}

/** σ at a possibly fractional timestep: linear interpolation between the integer timesteps (np.interp). */
export function sigmaAt(sigmas: Float64Array, t: number): number {
  const clamped = Math.min(Math.max(t, 0), sigmas.length - 1);
  const low = Math.floor(clamped);
  const high = Math.min(low + 1, sigmas.length - 1);
  const w = clamped - low;
  return sigmas[low] * (1 - w) + sigmas[high] * w;
}

/** The oracle's noise prediction ε = (x_t − √ᾱ·x0) / √(1 − ᾱ), with ᾱ = 1 / (1 + σ²). */
export function oracleNoise(xt: number, x0: number, sigma: number): number {
  return (xt * Math.sqrt(1 + sigma * sigma) - x0) / sigma;
}
