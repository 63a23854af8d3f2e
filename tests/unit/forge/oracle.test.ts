import { afterAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { join } from 'node:path';
import { forgeModel, readForgeManifest, readOracleExpectation } from '../../../server/engine/forge/index.ts';
import { readReferenceSchedulerConfig } from '../../../server/engine/forge/folder.ts';
import { oracleNoise, sigmaAt, trainingSigmas } from '../../../server/engine/forge/noise-schedule.ts';
import { toFloat16Array, toHalfBits } from '../../../server/engine/forge/float16.ts';
import { fromHalfBits, tempDir } from './helpers.ts';

const sigmas = trainingSigmas(readReferenceSchedulerConfig());
const LATENT = [1, 4, 16, 16];
const SIZE = 4 * 16 * 16;

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function forged(options: Parameters<typeof forgeModel>[0] extends infer O ? Omit<O, 'outDir' | 'preset'> : never) {
  const dir = tempDir('oracle');
  dirs.push(dir);
  return forgeModel({ preset: 'oracle', outDir: dir.path, ...options }).then(() => dir.path);
}

function xt(batchIndex: number): Float32Array {
  return Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i * 0.21 + batchIndex) * 1.3);
}

function expectedNoise(x: Float32Array, x0: number[], t: number): number[] {
  const sigma = sigmaAt(sigmas, t);
  return Array.from(x, (v, i) => oracleNoise(v, x0[i], sigma));
}

function expectClose(actual: ArrayLike<number>, expected: number[], tolerance: number): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThan(tolerance);
}

describe('training sigmas', () => {
  it('match diffusers scaled_linear alphas_cumprod at both ends', () => {
    // torch 1.13: torch.cumprod(1 - torch.linspace(0.00085**0.5, 0.012**0.5, 1000)**2, 0) at 0, 500, 999.
    expect(1 / (1 + sigmas[0] ** 2)).toBeCloseTo(0.99915, 6);
    expect(1 / (1 + sigmas[500] ** 2)).toBeCloseTo(0.2763325, 6);
    expect(1 / (1 + sigmas[999] ** 2)).toBeCloseTo(0.0046601, 6);
    expect(sigmaAt(sigmas, 10.25)).toBeCloseTo(0.75 * sigmas[10] + 0.25 * sigmas[11], 12);
  });
});

describe('oracle UNet', () => {
  const defaultFolder = forged({});

  it('returns (x_t − √ᾱ·x0)/√(1 − ᾱ) for a batch of integer and fractional float timesteps', async () => {
    const dir = await defaultFolder;
    const { x0 } = readForgeManifest(dir).oracle!;
    const session = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    for (const [t0, t1] of [[999, 0], [500.5, 13.25], [1.7, 998.9]]) {
      const a = xt(0);
      const b = xt(1);
      const sample = new Float32Array(2 * SIZE);
      sample.set(a);
      sample.set(b, SIZE);
      const out = await session.run({
        sample: new ort.Tensor('float32', sample, [2, 4, 16, 16]),
        timestep: new ort.Tensor('float32', Float32Array.of(t0, t1), [2]),
        encoder_hidden_states: new ort.Tensor('float32', new Float32Array(2 * 77 * 32), [2, 77, 32]),
      });
      const eps = out.out_sample.data as Float32Array;
      expectClose(eps.subarray(0, SIZE), expectedNoise(a, x0, t0), 1e-4);
      expectClose(eps.subarray(SIZE), expectedNoise(b, x0, t1), 1e-4);
    }
    await session.release();
  });

  it('accepts an int64 [1] timestep', async () => {
    const dir = await forged({ timestep: 'int64-1', unetBatch: 1 });
    const { x0 } = readForgeManifest(dir).oracle!;
    const session = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    const a = xt(2);
    const out = await session.run({
      sample: new ort.Tensor('float32', a, LATENT),
      timestep: new ort.Tensor('int64', BigInt64Array.of(761n), [1]),
      encoder_hidden_states: new ort.Tensor('float32', new Float32Array(77 * 32), [1, 77, 32]),
    });
    expectClose(out.out_sample.data as Float32Array, expectedNoise(a, x0, 761), 1e-4);
    await session.release();
  });

  it('accepts a float scalar timestep', async () => {
    const dir = await forged({ timestep: 'float-scalar' });
    const { x0 } = readForgeManifest(dir).oracle!;
    const session = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    const a = xt(3);
    const out = await session.run({
      sample: new ort.Tensor('float32', a, LATENT),
      timestep: new ort.Tensor('float32', Float32Array.of(321.6), []),
      encoder_hidden_states: new ort.Tensor('float32', new Float32Array(77 * 32), [1, 77, 32]),
    });
    expectClose(out.out_sample.data as Float32Array, expectedNoise(a, x0, 321.6), 1e-4);
    await session.release();
  });

  it('keeps its formula (to float16 precision) with float16 inputs and outputs', async () => {
    const dir = await forged({ dtype: 'float16' });
    const { x0 } = readForgeManifest(dir).oracle!;
    const session = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    const a = Float32Array.from(xt(5), (v) => fromHalfBits(toHalfBits(v)));
    const out = await session.run({
      sample: new ort.Tensor('float16', toFloat16Array(a), LATENT),
      timestep: new ort.Tensor('float16', Uint16Array.of(toHalfBits(400)), [1]),
      encoder_hidden_states: new ort.Tensor('float16', new Uint16Array(77 * 32), [1, 77, 32]),
    });
    expect(out.out_sample.type).toBe('float16');
    expectClose(Array.from(out.out_sample.data as Uint16Array, fromHalfBits), expectedNoise(a, x0, 400), 2e-3);
    await session.release();
  });

  it('drives a deterministic DDIM loop to x0, which decodes to oracle_expected.png', async () => {
    const dir = await defaultFolder;
    const expectation = readOracleExpectation(dir);
    expect([expectation.width, expectation.height, expectation.pixels.length]).toEqual([128, 128, 128 * 128 * 3]);
    const png = await sharp(join(dir, 'oracle_expected.png')).raw().toBuffer({ resolveWithObject: true });
    expect([png.info.width, png.info.height, png.info.channels]).toEqual([128, 128, 3]);
    expect(Uint8Array.from(png.data)).toEqual(expectation.pixels);

    const unet = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    const decoder = await ort.InferenceSession.create(join(dir, 'vae_decoder', 'model.onnx'));
    const alpha = (t: number): number => 1 / (1 + sigmas[t] ** 2);
    let latents = xt(4);
    const steps = [999, 666, 333, 0];
    for (let k = 0; k < steps.length; k++) {
      const t = steps[k];
      const out = await unet.run({
        sample: new ort.Tensor('float32', latents, LATENT),
        timestep: new ort.Tensor('float32', Float32Array.of(t), [1]),
        encoder_hidden_states: new ort.Tensor('float32', new Float32Array(77 * 32), [1, 77, 32]),
      });
      const eps = out.out_sample.data as Float32Array;
      const a = alpha(t);
      const aPrev = k + 1 < steps.length ? alpha(steps[k + 1]) : 1;
      latents = latents.map((x, i) => {
        const predX0 = (x - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
        return Math.sqrt(aPrev) * predX0 + Math.sqrt(1 - aPrev) * eps[i];
      });
    }
    const decoded = await decoder.run({ latent_sample: new ort.Tensor('float32', latents.map((v) => v / 0.18215), LATENT) });
    expect(decoded.sample.dims).toEqual([1, 3, 128, 128]);
    const image = decoded.sample.data as Float32Array;
    const plane = 128 * 128;
    const rgb = new Uint8Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(Math.max((image[c * plane + i] + 1) / 2, 0), 1) * 255);
    }
    expect(rgb).toEqual(expectation.pixels);
    // A recognisable picture, not a flat one: many distinct colours, nothing clipped.
    expect(new Set(expectation.pixels).size).toBeGreaterThan(20);
    expect(Math.min(...image)).toBeGreaterThan(-0.9);
    expect(Math.max(...image)).toBeLessThan(0.9);
    await Promise.all([unet.release(), decoder.release()]);
  });
});
