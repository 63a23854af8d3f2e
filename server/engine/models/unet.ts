import { Tensor } from 'onnxruntime-node';
import { float32ToFloat16 } from './fp16.ts';
import { unetLatentMultiple } from './unet-upsamplers.ts';
import { modelInvalid } from './errors.ts';
import type { ModelSession, TensorSpec } from './session.ts';
import { floatTensor, floatTypeOf, toFloat32, type FloatType } from './tensors.ts';

export const LATENT_CHANNELS = 4;

/** How an export takes its timestep: dtype, and whether it is a scalar, one value, or one per batch row. */
export interface TimestepForm {
  type: 'float32' | 'float16' | 'int64';
  layout: 'scalar' | 'one' | 'batch';
}

export interface UnetInput {
  /** `[batch, 4, h, w]` latents, batch rows back to back. */
  sample: Float32Array;
  batch: number;
  height: number;
  width: number;
  timestep: number;
  /** `[batch, tokens, hidden]` text states. */
  hiddenStates: Float32Array;
  tokens: number;
}

/**
 * The SD1.5 UNet behind whatever export conventions the file uses: fp16 or fp32 tensors,
 * the timestep as `[batch]` float, `[1]` int64 or a scalar, and a batch fixed at 1 (rows then run one by one).
 */
export class UnetModel {
  private timestepForm: TimestepForm | undefined;

  private constructor(
    readonly session: ModelSession,
    private readonly sampleType: FloatType,
    private readonly hiddenType: FloatType,
    private readonly timestepCandidates: TimestepForm[],
    private readonly outputName: string,
    /** The batch size the export was traced with (1, sometimes 2), or undefined when the batch axis is dynamic. */
    readonly fixedBatch: number | undefined,
    /** Latent height and width when the export fixes them (a static 64×64 export only makes 512×512 images). */
    readonly fixedLatentSize: { height: number; width: number } | undefined,
    /** Token count fixed by the export (77), or undefined when the sequence axis is dynamic. */
    readonly fixedTokens: number | undefined,
    readonly crossAttentionDim: number | undefined,
    /** Latent height and width must be multiples of this (8 for SD1.5: 64 pixels); see unet-upsamplers.ts. */
    readonly latentMultiple: number,
  ) {}

  /** `latentMultiple`: known already for a LoRA-merged copy of a loaded UNet (same graph); read from the file otherwise. */
  static create(session: ModelSession, latentMultiple = unetLatentMultiple(session.file)): UnetModel {
    const names = session.inputs.map((i) => i.name);
    const sample = session.input('sample');
    const timestep = session.input('timestep');
    const hidden = session.input('encoder_hidden_states');
    if (!sample || !timestep || !hidden) {
      throw modelInvalid(session.file, `expected inputs sample, timestep, encoder_hidden_states; found ${names.join(', ')} (not an SD1.5 UNet)`);
    }
    const extra = names.filter((name) => !['sample', 'timestep', 'encoder_hidden_states'].includes(name));
    if (extra.length > 0) {
      throw modelInvalid(session.file, `unsupported extra UNet input(s) ${extra.join(', ')} (e.g. an LCM guidance embedding or SDXL conditioning)`);
    }
    const channels = sample.shape[1];
    if (sample.shape.length === 4 && typeof channels === 'number' && channels !== LATENT_CHANNELS) {
      throw modelInvalid(session.file, `sample has ${channels} channels; SD1.5 latents have ${LATENT_CHANNELS}`);
    }
    const output = session.outputs.find((o) => o.name === 'out_sample') ?? session.outputs[0];
    if (!output) throw modelInvalid(session.file, 'the model has no outputs');
    const [batchDim, , heightDim, widthDim] = sample.shape;
    const tokensDim = hidden.shape[1];
    const hiddenDim = hidden.shape[2];
    return new UnetModel(
      session,
      floatTypeOf(sample.type, session.file, 'sample'),
      floatTypeOf(hidden.type, session.file, 'encoder_hidden_states'),
      timestepCandidates(timestep, session.file),
      output.name,
      typeof batchDim === 'number' ? batchDim : undefined,
      typeof heightDim === 'number' && typeof widthDim === 'number' ? { height: heightDim, width: widthDim } : undefined,
      typeof tokensDim === 'number' ? tokensDim : undefined,
      typeof hiddenDim === 'number' ? hiddenDim : undefined,
      latentMultiple,
    );
  }

  /** The timestep form in use, once the first run has settled it. */
  get timestepLayout(): TimestepForm | undefined {
    return this.timestepForm;
  }

  /** Noise prediction for every batch row, `[batch, 4, h, w]`. */
  async predict(input: UnetInput): Promise<Float32Array> {
    const group = this.fixedBatch;
    if (group === undefined || group === input.batch) return this.runBatch(input);
    // A fixed-batch export: run the rows in groups of its size, repeating the last row to fill a group.
    const rowSize = LATENT_CHANNELS * input.height * input.width;
    const hiddenRow = input.hiddenStates.length / input.batch;
    const out = new Float32Array(input.sample.length);
    for (let first = 0; first < input.batch; first += group) {
      const rows = Array.from({ length: group }, (_, i) => Math.min(first + i, input.batch - 1));
      const part = await this.runBatch({
        ...input,
        batch: group,
        sample: gatherRows(input.sample, rows, rowSize),
        hiddenStates: gatherRows(input.hiddenStates, rows, hiddenRow),
      });
      const used = Math.min(group, input.batch - first);
      out.set(part.subarray(0, used * rowSize), first * rowSize);
    }
    return out;
  }

  private async runBatch(input: UnetInput): Promise<Float32Array> {
    const feeds = {
      sample: floatTensor(this.sampleType, input.sample, [input.batch, LATENT_CHANNELS, input.height, input.width]),
      encoder_hidden_states: floatTensor(this.hiddenType, input.hiddenStates, [input.batch, input.tokens, input.hiddenStates.length / input.batch / input.tokens]),
    };
    if (this.timestepForm) {
      const outputs = await this.session.run({ ...feeds, timestep: timestepTensor(this.timestepForm, input.timestep, input.batch) });
      return toFloat32(outputs[this.outputName]);
    }
    // First run: metadata may not pin the timestep form down (a scalar and an unknown shape look alike), so try.
    let firstError: unknown;
    for (const form of this.timestepCandidates) {
      try {
        const outputs = await this.session.run({ ...feeds, timestep: timestepTensor(form, input.timestep, input.batch) });
        this.timestepForm = form;
        return toFloat32(outputs[this.outputName]);
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }
}

function gatherRows(data: Float32Array, rows: number[], rowSize: number): Float32Array {
  if (rows.length === 1) return data.subarray(rows[0] * rowSize, (rows[0] + 1) * rowSize);
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((row, i) => out.set(data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize));
  return out;
}

function timestepCandidates(spec: TensorSpec, file: string): TimestepForm[] {
  if (spec.type !== 'float32' && spec.type !== 'float16' && spec.type !== 'int64') {
    throw modelInvalid(file, `timestep has type ${spec.type}; expected float32, float16 or int64`);
  }
  const type = spec.type;
  const preferred: TimestepForm['layout'] =
    spec.shape.length === 0 ? 'scalar' : spec.shape[0] === 1 ? 'one' : 'batch';
  const layouts: TimestepForm['layout'][] = [preferred, ...(['batch', 'one', 'scalar'] as const).filter((l) => l !== preferred)];
  return layouts.map((layout) => ({ type, layout }));
}

function timestepTensor(form: TimestepForm, timestep: number, batch: number): Tensor {
  const count = form.layout === 'batch' ? batch : 1;
  const dims = form.layout === 'scalar' ? [] : [count];
  if (form.type === 'int64') {
    // diffusers casts the scheduler's (possibly fractional) timestep with numpy, which truncates.
    return new Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.trunc(timestep))), dims);
  }
  const values = new Float32Array(count).fill(timestep);
  return form.type === 'float16' ? new Tensor('float16', float32ToFloat16(values), dims) : new Tensor('float32', values, dims);
}
