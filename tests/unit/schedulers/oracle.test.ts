import { describe, expect, it } from 'vitest';
import { createScheduler, type SchedulerConfig, type SchedulerName } from '../../../server/engine/schedulers/index.ts';
import { SD15_CONFIG } from './helpers.ts';

/** ᾱ over the training timesteps from the scaled-linear betas, computed here independently of the product code. */
function trainingAlphaBar(config: SchedulerConfig): number[] {
  const n = config.num_train_timesteps;
  const result: number[] = [];
  let product = 1;
  for (let i = 0; i < n; i++) {
    const root = Math.sqrt(config.beta_start) + ((Math.sqrt(config.beta_end) - Math.sqrt(config.beta_start)) * i) / (n - 1);
    product *= 1 - root * root;
    result.push(product);
  }
  return result;
}

/**
 * ᾱ at a possibly fractional timestep, interpolated the way Euler interpolates σ:
 * σ(t) linear in t between training steps, ᾱ = 1 / (1 + σ²). Exact at integer t.
 */
function alphaBarAt(alphaBar: number[], t: number): number {
  const sigma = (i: number) => Math.sqrt((1 - alphaBar[i]) / alphaBar[i]);
  const low = Math.floor(t);
  const s = low === t ? sigma(low) : sigma(low) + (sigma(low + 1) - sigma(low)) * (t - low);
  return 1 / (1 + s * s);
}

/** A "UNet" that returns the exact noise for a known x0: ε = (x_t − √ᾱ_t·x0) / √(1 − ᾱ_t). */
function oracle(x0: Float32Array, alphaBar: number[]) {
  return (modelInput: Float32Array, t: number) => {
    const a = alphaBarAt(alphaBar, t);
    return modelInput.map((x, i) => (x - Math.sqrt(a) * x0[i]) / Math.sqrt(1 - a));
  };
}

function gaussian(count: number, seed: number): Float32Array {
  // Box–Muller on a small LCG: enough for a fixed test vector.
  let state = seed;
  const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function run(name: SchedulerName, config: SchedulerConfig, steps: number) {
  const x0 = gaussian(64, 7).map((v) => 0.8 * v);
  const model = oracle(x0, trainingAlphaBar(config));
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(steps);
  let sample: Float32Array = gaussian(64, 11).map((v) => v * scheduler.initNoiseSigma);
  let lastPrediction: Float32Array = new Float32Array(0);
  for (let k = 0; k < steps; k++) {
    const eps = model(scheduler.scaleModelInput(sample, k), scheduler.timesteps[k]);
    const result = scheduler.step(eps, k, sample);
    sample = result.prevSample;
    lastPrediction = result.predOriginalSample;
  }
  const maxDiff = (a: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - x0[i])));
  return { final: maxDiff(sample), prediction: maxDiff(lastPrediction) };
}

const spacings: Record<string, SchedulerConfig> = {
  'sd15 leading': SD15_CONFIG,
  linspace: { ...SD15_CONFIG, timestep_spacing: 'linspace', steps_offset: 0 },
  trailing: { ...SD15_CONFIG, timestep_spacing: 'trailing' },
};

describe('deterministic schedulers driven by an oracle model end on x0', () => {
  const cases = (['dpmpp_2m', 'dpmpp_2m_karras', 'euler'] as const).flatMap((name) =>
    Object.keys(spacings).flatMap((spacing) => [4, 10, 25].map((steps) => [name, spacing, steps] as const)),
  );
  it.each(cases)('%s, %s, %i steps', (name, spacing, steps) => {
    expect(run(name, spacings[spacing], steps).final).toBeLessThan(1e-4);
  });

  it.each(Object.keys(spacings).flatMap((spacing) => [4, 10, 25].map((steps) => [spacing, steps] as const)))(
    'ddim with set_alpha_to_one (diffusers default), %s, %i steps',
    (spacing, steps) => {
      expect(run('ddim', { ...spacings[spacing], set_alpha_to_one: true }, steps).final).toBeLessThan(1e-4);
    },
  );

  it('ddim with the SD1.5 file (set_alpha_to_one false) predicts x0 but keeps √(1 − ᾱ_0) ≈ 0.029 of noise', () => {
    const { final, prediction } = run('ddim', SD15_CONFIG, 25);
    expect(prediction).toBeLessThan(1e-4);
    expect(final).toBeGreaterThan(1e-3);
    expect(final).toBeLessThan(0.2);
  });
});
