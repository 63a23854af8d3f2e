import { writeFileSync, rmSync, readFileSync, truncateSync, statSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../server/engine/forge/graph.ts';
import { writeModel } from '../../server/engine/forge/write-model.ts';
import { ModelError, ModelSession, VaeDecoderModel, type LoadedModel } from '../../server/engine/models/index.ts';
import { forge, generate, maxAbsoluteError, meanAbsoluteError, openModel, tempDir } from './engine-fixtures.ts';

const root = tempDir('engine-models');
let baseline: Uint8Array;

beforeAll(async () => {
  const model = await openModel(await forge(root.path, 'base', { preset: 'tiny' }));
  baseline = (await generate(model)).image.rgb;
  await model.dispose();
});
afterAll(() => root.remove());

async function loadError(dir: string): Promise<ModelError> {
  try {
    const model = await openModel(dir);
    await model.dispose();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return error as ModelError;
  }
  throw new Error(`expected ${dir} to fail to load`);
}

describe('model folders from every export convention load through the same code path', () => {
  const variants: [string, Parameters<typeof forge>[2], (model: LoadedModel) => void][] = [
    ['diffusers layout with weights.pb', { preset: 'tiny', externalData: true }, () => {}],
    ['optimum layout (model.onnx_data, int64 ids)', { preset: 'tiny', layout: 'optimum' }, () => {}],
    ['int64 input_ids', { preset: 'tiny', inputIdsType: 'int64' }, () => {}],
    ['timestep int64 [1]', { preset: 'tiny', timestep: 'int64-1' }, (m) => expect(m.unet.timestepLayout).toEqual({ type: 'int64', layout: 'one' })],
    ['UNet fixed at batch 1', { preset: 'tiny', unetBatch: 1 }, (m) => expect(m.unet.fixedBatch).toBe(1)],
  ];

  it.each(variants)('%s: same pixels as the baseline export', async (name, options, check) => {
    const model = await openModel(await forge(root.path, name.replace(/\W+/g, '-'), options));
    try {
      const image = (await generate(model)).image.rgb;
      check(model);
      // Batch 1 runs uncond and cond separately: float kernels may differ in the last bit.
      expect(maxAbsoluteError(image, baseline)).toBeLessThanOrEqual(1);
      expect(meanAbsoluteError(image, baseline)).toBeLessThan(0.01);
    } finally {
      await model.dispose();
    }
  });

  // The forge's scalar-timestep UNet draws other random weights (one more anonymous constant shifts the names),
  // so its pixels cannot match the baseline: check the wrapper against a direct ONNX Runtime call instead.
  it('timestep as a float scalar: the wrapper feeds a rank-0 tensor and returns what ONNX Runtime computes', async () => {
    const model = await openModel(await forge(root.path, 'scalar', { preset: 'tiny', timestep: 'float-scalar' }));
    try {
      const sample = new Float32Array(2 * 4 * 8 * 8).map((_, i) => Math.sin(i));
      const hiddenStates = new Float32Array(2 * 77 * 32).map((_, i) => Math.cos(i));
      const viaWrapper = await model.unet.predict({ sample, batch: 2, height: 8, width: 8, timestep: 500, hiddenStates, tokens: 77 });
      expect(model.unet.timestepLayout).toEqual({ type: 'float32', layout: 'scalar' });
      const direct = await model.unet.session.session.run({
        sample: new Tensor('float32', sample, [2, 4, 8, 8]),
        timestep: new Tensor('float32', Float32Array.of(500), []),
        encoder_hidden_states: new Tensor('float32', hiddenStates, [2, 77, 32]),
      });
      expect(Array.from(viaWrapper)).toEqual(Array.from(direct.out_sample.data as Float32Array));
      expect((await generate(model)).image.rgb.length).toBe(64 * 64 * 3);
    } finally {
      await model.dispose();
    }
  });

  it('fp16 inputs and outputs: converted on the way in and out, close to the fp32 image', async () => {
    const model = await openModel(await forge(root.path, 'fp16', { preset: 'tiny', dtype: 'float16', layout: 'optimum' }));
    try {
      const image = (await generate(model)).image.rgb;
      expect(meanAbsoluteError(image, baseline)).toBeLessThan(2);
    } finally {
      await model.dispose();
    }
  });
});

describe('sessions from bytes in memory (for LoRA-patched weights)', () => {
  it('load with their external weights passed as buffers and compute what the file-based session does', async () => {
    const dir = await forge(root.path, 'bytes', { preset: 'tiny', layout: 'optimum' });
    const file = join(dir, 'vae_decoder', 'model.onnx');
    const settings = { provider: 'cpu' as const, threads: 1 };
    const fromFile = await ModelSession.open(file, settings);
    const fromBytes = await ModelSession.fromBytes(file, readFileSync(file), settings, [
      { path: 'model.onnx_data', data: readFileSync(join(dir, 'vae_decoder', 'model.onnx_data')) },
    ]);
    try {
      const latents = new Float32Array(4 * 4 * 4).map((_, i) => Math.sin(i));
      const [a, b] = await Promise.all([fromFile, fromBytes].map((s) => VaeDecoderModel.create(s).decode(latents, 4, 4)));
      expect(Array.from(b)).toEqual(Array.from(a));
      await expect(ModelSession.fromBytes(file, readFileSync(file).subarray(0, 100), settings)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    } finally {
      await Promise.all([fromFile.dispose(), fromBytes.dispose()]);
    }
  });
});

describe('broken model folders give named errors', () => {
  it('a folder that does not exist → MODEL_MISSING', async () => {
    const error = await loadError(join(root.path, 'nowhere'));
    expect(error.code).toBe('MODEL_MISSING');
    expect(error.message).toContain('nowhere');
  });

  it.each(['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'unet/model.onnx', 'vae_decoder/model.onnx'])(
    'missing %s → MODEL_MISSING naming it',
    async (file) => {
      const dir = await forge(root.path, `missing-${file.replace(/\W+/g, '-')}`, { preset: 'tiny' });
      rmSync(join(dir, file));
      const error = await loadError(dir);
      expect(error.code).toBe('MODEL_MISSING');
      expect(error.message).toContain(join(dir, file));
    },
  );

  it('missing external weights (weights.pb, model.onnx_data) → MODEL_MISSING naming the file', async () => {
    const diffusers = await forge(root.path, 'no-weights-pb', { preset: 'tiny', externalData: true });
    rmSync(join(diffusers, 'unet', 'weights.pb'));
    const first = await loadError(diffusers);
    expect(first.code).toBe('MODEL_MISSING');
    expect(first.message).toContain(join('unet', 'weights.pb'));
    const optimum = await forge(root.path, 'no-onnx-data', { preset: 'tiny', layout: 'optimum' });
    rmSync(join(optimum, 'text_encoder', 'model.onnx_data'));
    const second = await loadError(optimum);
    expect(second.code).toBe('MODEL_MISSING');
    expect(second.message).toContain(join('text_encoder', 'model.onnx_data'));
  });

  it('a truncated model.onnx → MODEL_INVALID naming it', async () => {
    const dir = await forge(root.path, 'truncated', { preset: 'tiny' });
    const file = join(dir, 'unet', 'model.onnx');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const error = await loadError(dir);
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain(file);
  });

  it('truncated external weights → MODEL_INVALID naming the model', async () => {
    const dir = await forge(root.path, 'truncated-data', { preset: 'tiny', layout: 'optimum' });
    const data = join(dir, 'unet', 'model.onnx_data');
    truncateSync(data, Math.floor(statSync(data).size / 2));
    const error = await loadError(dir);
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain(join(dir, 'unet'));
  });

  it('a corrupt model.onnx and corrupt JSON → MODEL_INVALID naming the file', async () => {
    const dir = await forge(root.path, 'corrupt', { preset: 'tiny' });
    const file = join(dir, 'vae_decoder', 'model.onnx');
    writeFileSync(file, Buffer.from('this is not a protobuf model at all'.repeat(50)));
    const error = await loadError(dir);
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain(file);
    const index = join(dir, 'model_index.json');
    writeFileSync(index, readFileSync(index, 'utf8').slice(0, 20));
    const json = await loadError(dir);
    expect(json.code).toBe('MODEL_INVALID');
    expect(json.message).toContain(index);
  });

  it('a UNet with other input names → MODEL_INVALID (not an SD1.5 UNet)', async () => {
    const dir = await forge(root.path, 'swapped', { preset: 'tiny' });
    copyFileSync(join(dir, 'vae_decoder', 'model.onnx'), join(dir, 'unet', 'model.onnx'));
    const error = await loadError(dir);
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/unet.*expected inputs sample, timestep, encoder_hidden_states/);
  });

  it.each([
    ['9 latent channels (an inpainting UNet)', 9, 32, /sample has 9 channels/],
    ['1024-wide cross-attention (an SD2 UNet)', 4, 1024, /encoder_hidden_states has 1024 features but the text encoder gives 32/],
  ])('a UNet with %s → MODEL_INVALID', async (_name, channels, crossDim, message) => {
    const dir = await forge(root.path, `unet-${channels}-${crossDim}`, { preset: 'tiny' });
    writeIdentityUnet(join(dir, 'unet'), channels, crossDim);
    const error = await loadError(dir);
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain(join(dir, 'unet', 'model.onnx'));
    expect(error.message).toMatch(message);
  });
});

/** A stand-in UNet whose declared shapes are not SD1.5's. */
function writeIdentityUnet(dir: string, channels: number, crossDim: number): void {
  mkdirSync(dir, { recursive: true });
  const g = new GraphBuilder();
  g.input('sample', 'float32', ['batch', channels, 'height', 'width']);
  g.input('timestep', 'float32', ['batch']);
  g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', crossDim]);
  const [out] = g.node('', 'Identity', ['sample']);
  g.output('out_sample', 'float32', ['batch', channels, 'height', 'width']);
  g.bindOutput(out, 'out_sample');
  writeModel(g, join(dir, 'model.onnx'), { seed: 0 });
}
