import { Tensor } from 'onnxruntime-node';
import { ByteBoundedLru } from '../lru.ts';
import { modelInvalid } from './errors.ts';
import type { ModelSession } from './session.ts';
import { toFloat32 } from './tensors.ts';

export const TOKENS_PER_CHUNK = 77;

/** Room for the states of about 70 chunks at SD1.5's 768 features: a batch's negative prompt and recent prompts. */
const STATES_CACHE_BYTES = 16 * 2 ** 20;

/**
 * CLIP text encoder: 77 token ids → `[77, hidden]` states, whatever id dtype the export takes. States are kept per
 * chunk of ids, so the jobs of a batch (one negative prompt, one base prompt and style) encode it once.
 */
export class TextEncoderModel {
  /** Chunks served from the cache; a test reads it. */
  cacheHits = 0;
  private readonly cache = new ByteBoundedLru<Float32Array>(STATES_CACHE_BYTES, (states) => states.byteLength);
  /** Off for benchmarks that measure the encoder itself. */
  cacheEnabled = true;

  private constructor(
    readonly session: ModelSession,
    private readonly idsName: string,
    private readonly idsType: 'int32' | 'int64',
    private readonly outputName: string,
    readonly hiddenSize: number,
  ) {}

  static async create(session: ModelSession): Promise<TextEncoderModel> {
    const ids = session.input('input_ids') ?? (session.inputs.length === 1 ? session.inputs[0] : undefined);
    if (!ids) {
      throw modelInvalid(session.file, `expected an input 'input_ids'; found ${session.inputs.map((i) => i.name).join(', ')}`);
    }
    if (ids.type !== 'int32' && ids.type !== 'int64') {
      throw modelInvalid(session.file, `input_ids has type ${ids.type}; expected int32 or int64`);
    }
    const output = session.outputs.find((o) => o.name === 'last_hidden_state') ?? session.outputs[0];
    if (!output) throw modelInvalid(session.file, 'the model has no outputs');
    const declared = output.shape.at(-1);
    const encoder = new TextEncoderModel(session, ids.name, ids.type, output.name, typeof declared === 'number' ? declared : 0);
    if (output.shape.length !== 3 || typeof declared !== 'number') {
      // Shape not declared: learn the hidden size from one run.
      const probe = await encoder.runRaw(new Int32Array(TOKENS_PER_CHUNK));
      const dims = probe.dims;
      if (dims.length !== 3) throw modelInvalid(session.file, `${output.name} has shape [${dims.join(', ')}]; expected [batch, tokens, hidden]`);
      return new TextEncoderModel(session, ids.name, ids.type, output.name, dims[2]);
    }
    return encoder;
  }

  /** Hidden states of one 77-token chunk, `[77 × hidden]` floats. */
  async encode(ids: Int32Array): Promise<Float32Array> {
    if (!this.cacheEnabled) return toFloat32(await this.runRaw(ids));
    const key = ids.join(',');
    const cached = this.cache.get(key);
    if (cached) {
      this.cacheHits++;
      return cached.slice();
    }
    const states = toFloat32(await this.runRaw(ids));
    this.cache.set(key, states.slice());
    return states;
  }

  private async runRaw(ids: Int32Array): Promise<Tensor> {
    const dims = [1, ids.length];
    const input = this.idsType === 'int64' ? new Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), dims) : new Tensor('int32', ids, dims);
    const outputs = await this.session.run({ [this.idsName]: input });
    return outputs[this.outputName];
  }
}
