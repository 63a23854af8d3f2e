import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { forgeTaesd, taesdGraph, TAESD_FILES } from '../../../server/engine/forge/taesd.ts';
import { detectOutputRange, TinyDecoderModel } from '../../../server/engine/models/tiny-decoder.ts';
import { readModel, tempDir } from './helpers.ts';

/** Written by tests/fixtures/taesd/make_reference.py: taesd.py's Decoder() in torch on the seed-7 forged weights. */
interface Reference {
  seed: number;
  latentShape: [number, number, number, number];
  latent: number[];
  imageShape: [number, number, number, number];
  image: number[];
}
const reference = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/taesd/reference.json', import.meta.url)), 'utf8')) as Reference;

/** Parameters of madebyollin/taesd's decoder: conv 4→64, 10 Blocks (3 convs 64→64 each), 3 bias-free convs, conv 64→3. */
const TAESD_DECODER_PARAMETERS = 4 * 64 * 9 + 64 + 10 * 3 * (64 * 64 * 9 + 64) + 3 * 64 * 64 * 9 + 64 * 3 * 9 + 3;

describe('forged TAESD decoder: structure', () => {
  it('has the real parameter count (1,222,531) in both layouts', () => {
    expect(TAESD_DECODER_PARAMETERS).toBe(1_222_531);
    expect(taesdGraph('diffusers', 0).parameterCount()).toBe(TAESD_DECODER_PARAMETERS);
    expect(taesdGraph('original', 0).parameterCount()).toBe(TAESD_DECODER_PARAMETERS);
  });

  it('diffusers layout: AutoencoderTiny.decode export names (latent_sample → sample, decoder.layers.N, mul(2).sub(1))', () => {
    const g = taesdGraph('diffusers', 0);
    const dims = new Map(g.initializers.filter((i) => i.parameter).map((i) => [i.name, i.dims]));
    const nodes = new Map(g.nodes.map((n) => [n.name!, n]));
    expect(g.inputs.map((i) => i.name)).toEqual(['latent_sample']);
    expect(g.outputs.map((o) => o.name)).toEqual(['sample']);
    expect(dims.get('decoder.layers.0.weight')).toEqual([64, 4, 3, 3]);
    expect(dims.get('decoder.layers.0.bias')).toEqual([64]);
    expect(dims.get('decoder.layers.2.conv.0.weight')).toEqual([64, 64, 3, 3]);
    expect(dims.get('decoder.layers.2.conv.4.bias')).toEqual([64]);
    for (const upsampleConv of [6, 11, 16]) {
      expect(dims.get(`decoder.layers.${upsampleConv}.weight`)).toEqual([64, 64, 3, 3]);
      expect(dims.has(`decoder.layers.${upsampleConv}.bias`)).toBe(false);
    }
    expect(dims.get('decoder.layers.17.conv.2.weight')).toEqual([64, 64, 3, 3]);
    expect(dims.get('decoder.layers.18.weight')).toEqual([3, 64, 3, 3]);
    expect(dims.get('decoder.layers.18.bias')).toEqual([3]);
    // Blocks at 2-4, 7-9, 12-14 and 17; upsamplers at 5, 10, 15.
    const blocks = [...dims.keys()].filter((k) => k.endsWith('conv.0.weight')).map((k) => Number(k.split('.')[2]));
    expect(blocks).toEqual([2, 3, 4, 7, 8, 9, 12, 13, 14, 17]);
    expect(['/decoder/Div', '/decoder/Tanh', '/decoder/Mul'].map((n) => nodes.get(n)?.opType)).toEqual(['Div', 'Tanh', 'Mul']);
    expect(nodes.get('/decoder/layers/layers.1/Relu')?.opType).toBe('Relu');
    expect(nodes.get('/decoder/layers/layers.2/conv/conv.0/Conv')?.input).toEqual(['/decoder/layers/layers.1/Relu_output_0', 'decoder.layers.2.conv.0.weight', 'decoder.layers.2.conv.0.bias']);
    expect(nodes.get('/decoder/layers/layers.2/Add')?.input).toEqual(['/decoder/layers/layers.2/conv/conv.4/Conv_output_0', '/decoder/layers/layers.1/Relu_output_0']);
    expect(nodes.get('/decoder/layers/layers.2/fuse/Relu')?.opType).toBe('Relu');
    expect([5, 10, 15].map((i) => nodes.get(`/decoder/layers/layers.${i}/Resize`)?.opType)).toEqual(['Resize', 'Resize', 'Resize']);
    expect(nodes.get('/decoder/layers/layers.6/Conv')?.input).toHaveLength(2);
    expect(nodes.get('/decoder/Mul_1')?.input?.[0]).toBe('/decoder/layers/layers.18/Conv_output_0');
    expect(nodes.get('/decoder/Sub')?.output).toEqual(['sample']);
  });

  it('original layout: taesd.py Decoder() names (index 0 is the Clamp), ends on the Conv', () => {
    const g = taesdGraph('original', 0);
    const dims = new Map(g.initializers.filter((i) => i.parameter).map((i) => [i.name, i.dims]));
    expect(dims.get('1.weight')).toEqual([64, 4, 3, 3]);
    expect(dims.get('3.conv.0.weight')).toEqual([64, 64, 3, 3]);
    expect(dims.has('7.bias')).toBe(false);
    expect(dims.get('19.weight')).toEqual([3, 64, 3, 3]);
    expect(g.nodes.at(-1)?.name).toBe('/19/Conv');
    expect(g.nodes.find((n) => n.name === '/0/Tanh')).toBeDefined();
  });
});

describe('forged TAESD decoder: numerics against taesd.py in torch', () => {
  const dir = tempDir('taesd');
  afterAll(() => dir.remove());
  const [, , h, w] = reference.latentShape;

  it.each(['diffusers', 'original'] as const)('%s layout: decode() matches the torch reference within 1e-4 (output −1 … 1)', async (layout) => {
    const report = forgeTaesd({ outDir: join(dir.path, layout), seed: reference.seed, layout });
    expect(report.file).toBe(join(dir.path, layout, TAESD_FILES[layout]));
    const decoder = await TinyDecoderModel.open(join(dir.path, layout), { provider: 'cpu', threads: 1 });
    try {
      expect(decoder.outputRange).toBe(layout === 'diffusers' ? 'minus-one-one' : 'zero-one');
      const image = await decoder.decode(Float32Array.from(reference.latent), h, w);
      expect(image.length).toBe(reference.image.length);
      expect(reference.imageShape).toEqual([1, 3, 8 * h, 8 * w]);
      let maxError = 0;
      // The reference is in taesd.py's 0 … 1; decode() always gives −1 … 1.
      for (let i = 0; i < image.length; i++) maxError = Math.max(maxError, Math.abs(image[i] - (2 * reference.image[i] - 1)));
      expect(maxError).toBeLessThan(1e-4);
      expect(decoder.msPerLatentPixel).toBeGreaterThan(0);
    } finally {
      await decoder.dispose();
    }
  });

  it('the output range is read from the graph: Sub after the last Conv (diffusers) or the Conv itself (taesd.py)', () => {
    const diffusers = forgeTaesd({ outDir: join(dir.path, 'range-d'), seed: 1 });
    const original = forgeTaesd({ outDir: join(dir.path, 'range-o'), seed: 1, layout: 'original' });
    expect(detectOutputRange(readFileSync(diffusers.file))).toBe('minus-one-one');
    expect(detectOutputRange(readFileSync(original.file))).toBe('zero-one');
    // fp16 exports end with the same op (I/O in float16, no Cast).
    const half = forgeTaesd({ outDir: join(dir.path, 'range-h'), seed: 1, layout: 'original', dtype: 'float16' });
    expect(detectOutputRange(readFileSync(half.file))).toBe('zero-one');
    expect(readModel(half.file).graph!.input![0].type!.tensorType!.elemType).toBe(10);
  });

  it('an fp16 export decodes to the same picture within fp16 precision', async () => {
    forgeTaesd({ outDir: join(dir.path, 'fp16'), seed: reference.seed, dtype: 'float16' });
    const decoder = await TinyDecoderModel.open(join(dir.path, 'fp16'), { provider: 'cpu', threads: 1 });
    try {
      const image = await decoder.decode(Float32Array.from(reference.latent), h, w);
      let sum = 0;
      for (let i = 0; i < image.length; i++) sum += Math.abs(image[i] - (2 * reference.image[i] - 1));
      expect(sum / image.length).toBeLessThan(1e-2);
    } finally {
      await decoder.dispose();
    }
  });

  it('same seed → byte-identical file', () => {
    const a = forgeTaesd({ outDir: join(dir.path, 'det-a'), seed: 3 });
    const b = forgeTaesd({ outDir: join(dir.path, 'det-b'), seed: 3 });
    expect(Buffer.compare(readFileSync(a.file), readFileSync(b.file))).toBe(0);
  });
});
