import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { float16ToFloat32 } from '../../../server/engine/models/fp16.ts';
import type { ModelSession, TensorSpec } from '../../../server/engine/models/session.ts';
import { UnetModel } from '../../../server/engine/models/unet.ts';

interface Call {
  batch: number;
  timestep: { type: string; dims: readonly number[]; values: number[] };
}

/** A stand-in session: out_sample = sample + row index of the batch it was fed in; records every call. */
function fakeUnet(options: { batch: number | string; timestep: TensorSpec; float?: 'float32' | 'float16'; accepts?: (t: Tensor) => boolean }) {
  const float = options.float ?? 'float32';
  const calls: Call[] = [];
  const session = {
    file: '/models/x/unet/model.onnx',
    inputs: [
      { name: 'sample', type: float, shape: [options.batch, 4, 'h', 'w'] },
      options.timestep,
      { name: 'encoder_hidden_states', type: float, shape: [options.batch, 'sequence', 8] },
    ],
    outputs: [{ name: 'out_sample', type: float, shape: [options.batch, 4, 'h', 'w'] }],
    input(name: string) {
      return this.inputs.find((i) => i.name === name);
    },
    async run(feeds: Record<string, Tensor>) {
      const t = feeds.timestep;
      if (options.accepts && !options.accepts(t)) throw new Error(`timestep of shape [${t.dims.join(', ')}] rejected`);
      const sample = feeds.sample;
      calls.push({ batch: sample.dims[0], timestep: { type: t.type, dims: t.dims, values: Array.from(t.data as ArrayLike<number | bigint>, Number) } });
      const values = float === 'float16' ? float16ToFloat32(sample.data as Uint16Array) : (sample.data as Float32Array);
      return { out_sample: new Tensor('float32', values.map((v) => v * 2), sample.dims) };
    },
  };
  return { unet: UnetModel.create(session as unknown as ModelSession), calls };
}

const rows = (batch: number) => ({
  sample: new Float32Array(batch * 4).map((_, i) => Math.floor(i / 4) + 1),
  batch,
  height: 1,
  width: 1,
  timestep: 980.6,
  hiddenStates: new Float32Array(batch * 77 * 8),
  tokens: 77,
});

describe('UNet adapter', () => {
  it('a dynamic-batch export runs [uncond; cond] in one call with a float [batch] timestep', async () => {
    const { unet, calls } = fakeUnet({ batch: 'batch', timestep: { name: 'timestep', type: 'float32', shape: ['batch'] } });
    const out = await unet.predict(rows(2));
    expect(Array.from(out)).toEqual([2, 2, 2, 2, 4, 4, 4, 4]);
    expect(calls).toEqual([{ batch: 2, timestep: { type: 'float32', dims: [2], values: [Math.fround(980.6), Math.fround(980.6)] } }]);
  });

  it('a batch-1 export runs uncond and cond separately and puts the rows back in order', async () => {
    const { unet, calls } = fakeUnet({ batch: 1, timestep: { name: 'timestep', type: 'int64', shape: [1] } });
    const out = await unet.predict(rows(2));
    expect(Array.from(out)).toEqual([2, 2, 2, 2, 4, 4, 4, 4]);
    expect(calls.map((c) => c.batch)).toEqual([1, 1]);
    // int64 timesteps are truncated, as numpy's cast in diffusers' ONNX pipeline does.
    expect(calls[0].timestep).toEqual({ type: 'int64', dims: [1], values: [980] });
  });

  it('a batch-2 export with one row (no guidance) fills the batch and keeps the first row', async () => {
    const { unet, calls } = fakeUnet({ batch: 2, timestep: { name: 'timestep', type: 'float32', shape: [2] } });
    expect(Array.from(await unet.predict(rows(1)))).toEqual([2, 2, 2, 2]);
    expect(calls.map((c) => c.batch)).toEqual([2]);
  });

  it('fp16 exports get fp16 tensors, timestep included', async () => {
    const { unet, calls } = fakeUnet({ batch: 'batch', float: 'float16', timestep: { name: 'timestep', type: 'float16', shape: ['batch'] } });
    expect(Array.from(await unet.predict(rows(2)))).toEqual([2, 2, 2, 2, 4, 4, 4, 4]);
    expect(calls[0].timestep.type).toBe('float16');
  });

  it('when metadata leaves the timestep shape open, the forms are tried once and the working one is kept', async () => {
    const { unet, calls } = fakeUnet({
      batch: 'batch',
      timestep: { name: 'timestep', type: 'float32', shape: [] },
      accepts: (t) => t.dims.length === 1 && t.dims[0] === 1,
    });
    await unet.predict(rows(2));
    expect(unet.timestepLayout).toEqual({ type: 'float32', layout: 'one' });
    await unet.predict(rows(2));
    expect(calls.map((c) => c.timestep.dims)).toEqual([[1], [1]]);
  });

  it('rejects a UNet with inputs this engine cannot feed', () => {
    const session = {
      file: '/m/unet/model.onnx',
      inputs: [
        { name: 'sample', type: 'float32', shape: ['b', 4, 'h', 'w'] },
        { name: 'timestep', type: 'float32', shape: ['b'] },
        { name: 'encoder_hidden_states', type: 'float32', shape: ['b', 's', 8] },
        { name: 'timestep_cond', type: 'float32', shape: ['b', 256] },
      ],
      outputs: [{ name: 'out_sample', type: 'float32', shape: [] }],
      input(name: string) {
        return this.inputs.find((i) => i.name === name);
      },
    };
    expect(() => UnetModel.create(session as unknown as ModelSession)).toThrow(/unsupported extra UNet input\(s\) timestep_cond/);
  });

  it('rejects a UNet whose inputs are not SD1.5 names, naming the file', () => {
    const session = { file: '/m/unet/model.onnx', inputs: [{ name: 'x', type: 'float32', shape: [] }], outputs: [], input: () => undefined };
    expect(() => UnetModel.create(session as unknown as ModelSession)).toThrow(/\/m\/unet\/model.onnx: expected inputs sample, timestep, encoder_hidden_states/);
  });
});
