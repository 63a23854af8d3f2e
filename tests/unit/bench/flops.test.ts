import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countGraphFlops, countUnetStepFlops } from '../../../bench/flops.ts';
import { forgeModel } from '../../../server/engine/forge/index.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

const floatInit = (name: string, dims: number[]) => ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(4 * dims.reduce((a, b) => a * b, 1)) });
const int64Init = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: INT64, int64Data: values });
const input = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bench-flops-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('countGraphFlops', () => {
  it('counts Conv, linear MatMul and activation MatMul through Reshape and Transpose', () => {
    // x[1,3,8,8] → Conv 4×3×3×3 (pad 1, stride 2) → [1,4,4,4] → Reshape [1,4,16] → Transpose → [1,16,4]
    // → MatMul W[4,5] → q[1,16,5]; scores = q · Transpose(q) → [1,16,16].
    const graph = {
      name: 'g',
      node: [
        { opType: 'Conv', name: 'conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'pads', ints: [1, 1, 1, 1], type: 7 }, { name: 'strides', ints: [2, 2], type: 7 }] },
        { opType: 'Reshape', name: 'r', input: ['c', 'shape'], output: ['r'] },
        { opType: 'Transpose', name: 't', input: ['r'], output: ['t'], attribute: [{ name: 'perm', ints: [0, 2, 1], type: 7 }] },
        { opType: 'MatMul', name: 'q', input: ['t', 'wq'], output: ['q'] },
        { opType: 'Transpose', name: 'kt', input: ['q'], output: ['kt'], attribute: [{ name: 'perm', ints: [0, 2, 1], type: 7 }] },
        { opType: 'MatMul', name: 'scores', input: ['q', 'kt'], output: ['s'] },
        { opType: 'Softmax', name: 'softmax', input: ['s'], output: ['y'] },
      ],
      initializer: [floatInit('w', [4, 3, 3, 3]), floatInit('wq', [4, 5]), int64Init('shape', [0, 4, -1])],
      input: [input('x', [1, 3, 8, 8])],
      output: [input('y', [1, 16, 16])],
    };
    const file = join(dir, 'g.onnx');
    writeFileSync(file, onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph })).finish());

    const count = countGraphFlops(file, { x: [2, 3, 8, 8] });
    expect(count.conv).toBe(2 * 2 * 4 * 3 * 3 * 3 * 4 * 4);
    expect(count.linear).toBe(2 * 2 * 16 * 5 * 4);
    expect(count.attention).toBe(2 * 2 * 16 * 16 * 5);
    expect(count.total).toBe(count.conv + count.linear + count.attention);
    expect(count.elementwise).toBe(2 * 16 * 16);
  });

  it('throws when an input shape is missing', () => {
    expect(() => countGraphFlops(join(dir, 'g.onnx'), {})).toThrow(/no shape given for graph input x/);
  });
});

describe('countUnetStepFlops on the forged tiny UNet', () => {
  it('walks the whole graph; convolutions and linear layers scale with the pixel count, batch 2 is twice batch 1', async () => {
    const model = join(dir, 'tiny');
    await forgeModel({ preset: 'tiny', outDir: model, seed: 0 });
    const unet = join(model, 'unet/model.onnx');
    const small = countUnetStepFlops(unet, { height: 128, width: 128, textHidden: 32 });
    const large = countUnetStepFlops(unet, { height: 256, width: 256, textHidden: 32 });
    expect(large.conv).toBe(4 * small.conv);
    expect(large.attention).toBeGreaterThan(4 * small.attention);
    // conv_in alone: batch 2 × 32 out × 4 in × 3×3 × 16×16 latent pixels × 2.
    expect(small.conv).toBeGreaterThan(2 * 2 * 32 * 4 * 9 * 16 * 16);
    expect(countUnetStepFlops(unet, { height: 128, width: 128, batch: 1, textHidden: 32 }).total * 2).toBe(small.total);
  });
});
