import { afterAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forgeModel, readForgeManifest, type ForgeOptions } from '../../../server/engine/forge/index.ts';
import { toFloat16Array } from '../../../server/engine/forge/float16.ts';
import { fromHalfBits, tempDir } from './helpers.ts';

type Variant = Omit<ForgeOptions, 'outDir' | 'preset'>;

const variants: [string, Variant, { ids: 'int32' | 'int64'; float: 'float32' | 'float16'; dataFile?: string }][] = [
  ['diffusers float32 (embedded)', {}, { ids: 'int32', float: 'float32' }],
  ['diffusers float32 with weights.pb', { externalData: true }, { ids: 'int32', float: 'float32', dataFile: 'weights.pb' }],
  ['optimum', { layout: 'optimum' }, { ids: 'int64', float: 'float32', dataFile: 'model.onnx_data' }],
  ['diffusers float16', { dtype: 'float16' }, { ids: 'int32', float: 'float16' }],
];

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function floatTensor(type: 'float32' | 'float16', values: Float32Array, dims: number[]): ort.Tensor {
  return type === 'float32' ? new ort.Tensor('float32', values, dims) : new ort.Tensor('float16', toFloat16Array(values), dims);
}

function floats(t: ort.Tensor): number[] {
  return t.type === 'float16' ? Array.from(t.data as Uint16Array, fromHalfBits) : Array.from(t.data as Float32Array);
}

function metadataOf(session: ort.InferenceSession): Record<string, string> {
  const types: Record<string, string> = {};
  for (const m of [...session.inputMetadata, ...session.outputMetadata]) types[m.name] = m.isTensor ? m.type : 'non-tensor';
  return types;
}

function pattern(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
}

describe.each(variants)('tiny forge, %s', (_label, variant, expected) => {
  const dir = tempDir('tiny');
  dirs.push(dir);
  const ready = forgeModel({ preset: 'tiny', outDir: dir.path, ...variant });

  it('writes the folder with model_index, tokenizer, scheduler, forge.json and the expected data files', async () => {
    await ready;
    for (const file of ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'forge.json']) {
      expect(existsSync(join(dir.path, file)), file).toBe(true);
    }
    const index = JSON.parse(readFileSync(join(dir.path, 'model_index.json'), 'utf8'));
    expect(index.unet).toEqual(['diffusers', 'OnnxRuntimeModel']);
    expect(readForgeManifest(dir.path)).toMatchObject({ forged: true, preset: 'tiny', seed: 0 });
    for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      expect(existsSync(join(dir.path, component, 'model.onnx'))).toBe(true);
      for (const dataFile of ['weights.pb', 'model.onnx_data']) {
        expect(existsSync(join(dir.path, component, dataFile)), `${component}/${dataFile}`).toBe(dataFile === expected.dataFile);
      }
    }
  });

  it('text encoder: input_ids → last_hidden_state [2, 77, 32] and pooler_output [2, 32]', async () => {
    await ready;
    const session = await ort.InferenceSession.create(join(dir.path, 'text_encoder', 'model.onnx'));
    expect(metadataOf(session)).toEqual({ input_ids: expected.ids, last_hidden_state: expected.float, pooler_output: expected.float });
    const ids = new Array(154).fill(49407);
    ids[0] = 49406;
    ids[1] = 320;
    ids[77] = 49406;
    const input = expected.ids === 'int32' ? new ort.Tensor('int32', Int32Array.from(ids), [2, 77]) : new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 77]);
    const out = await session.run({ input_ids: input });
    expect(out.last_hidden_state.dims).toEqual([2, 77, 32]);
    expect(out.pooler_output.dims).toEqual([2, 32]);
    const hidden = floats(out.last_hidden_state);
    expect(hidden.every(Number.isFinite)).toBe(true);
    // pooler_output is the hidden state at the first end-of-text token (position 2 in the first row).
    const pooled = floats(out.pooler_output);
    expect(pooled.slice(0, 32)).toEqual(hidden.slice(2 * 32, 3 * 32));
    expect(pooled.slice(32)).toEqual(hidden.slice(77 * 32 + 32, 77 * 32 + 64));
    await session.release();
  });

  it('unet: sample, timestep, encoder_hidden_states → out_sample of the sample shape', async () => {
    await ready;
    const session = await ort.InferenceSession.create(join(dir.path, 'unet', 'model.onnx'));
    expect(metadataOf(session)).toEqual({ sample: expected.float, timestep: expected.float, encoder_hidden_states: expected.float, out_sample: expected.float });
    const out = await session.run({
      sample: floatTensor(expected.float, pattern(2 * 4 * 8 * 8), [2, 4, 8, 8]),
      timestep: floatTensor(expected.float, Float32Array.of(999, 10), [2]),
      encoder_hidden_states: floatTensor(expected.float, pattern(2 * 77 * 32), [2, 77, 32]),
    });
    expect(out.out_sample.dims).toEqual([2, 4, 8, 8]);
    const values = floats(out.out_sample);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(100);
    await session.release();
  });

  it('vae decoder ×8 and encoder ÷8', async () => {
    await ready;
    const decoder = await ort.InferenceSession.create(join(dir.path, 'vae_decoder', 'model.onnx'));
    expect(metadataOf(decoder)).toEqual({ latent_sample: expected.float, sample: expected.float });
    const decoded = await decoder.run({ latent_sample: floatTensor(expected.float, pattern(4 * 8 * 8), [1, 4, 8, 8]) });
    expect(decoded.sample.dims).toEqual([1, 3, 64, 64]);
    expect(floats(decoded.sample).every(Number.isFinite)).toBe(true);
    const encoder = await ort.InferenceSession.create(join(dir.path, 'vae_encoder', 'model.onnx'));
    expect(metadataOf(encoder)).toEqual({ sample: expected.float, latent_sample: expected.float });
    const encoded = await encoder.run({ sample: decoded.sample });
    expect(encoded.latent_sample.dims).toEqual([1, 4, 8, 8]);
    expect(floats(encoded.latent_sample).every(Number.isFinite)).toBe(true);
    await Promise.all([decoder.release(), encoder.release()]);
  });
});

describe('tiny UNet timestep forms', () => {
  it.each([
    ['int64 [1], batch fixed at 1', { timestep: 'int64-1', unetBatch: 1 } as Variant, new ort.Tensor('int64', BigInt64Array.of(500n), [1])],
    ['float32 scalar', { timestep: 'float-scalar' } as Variant, new ort.Tensor('float32', Float32Array.of(500), [])],
  ])('%s', async (_label, variant, timestep) => {
    const dir = tempDir('timestep');
    dirs.push(dir);
    await forgeModel({ preset: 'tiny', outDir: dir.path, ...variant });
    const session = await ort.InferenceSession.create(join(dir.path, 'unet', 'model.onnx'));
    const meta = session.inputMetadata.find((m) => m.name === 'timestep')!;
    expect(meta.isTensor && [meta.type, meta.shape]).toEqual([timestep.type, timestep.dims]);
    const sample = session.inputMetadata.find((m) => m.name === 'sample')!;
    expect(sample.isTensor && sample.shape[0]).toBe(variant.unetBatch === 1 ? 1 : 'batch');
    const out = await session.run({
      sample: new ort.Tensor('float32', pattern(4 * 8 * 8), [1, 4, 8, 8]),
      timestep,
      encoder_hidden_states: new ort.Tensor('float32', pattern(77 * 32), [1, 77, 32]),
    });
    expect(out.out_sample.dims).toEqual([1, 4, 8, 8]);
    expect(floats(out.out_sample).every(Number.isFinite)).toBe(true);
    await session.release();
  });
});
