import { modelInvalid } from './errors.ts';
import type { ModelSession } from './session.ts';
import { floatTensor, floatTypeOf, toFloat32, type FloatType } from './tensors.ts';
import { LATENT_CHANNELS } from './unet.ts';

/** VAE decoder: `[1, 4, h, w]` latents → `[1, 3, 8h, 8w]` image in −1 … 1. */
export class VaeDecoderModel {
  private constructor(
    readonly session: ModelSession,
    private readonly inputName: string,
    private readonly inputType: FloatType,
    private readonly outputName: string,
  ) {}

  static create(session: ModelSession): VaeDecoderModel {
    const input = session.input('latent_sample') ?? (session.inputs.length === 1 ? session.inputs[0] : undefined);
    if (!input) {
      throw modelInvalid(session.file, `expected an input 'latent_sample'; found ${session.inputs.map((i) => i.name).join(', ')}`);
    }
    const channels = input.shape[1];
    if (input.shape.length === 4 && typeof channels === 'number' && channels !== LATENT_CHANNELS) {
      throw modelInvalid(session.file, `latent_sample has ${channels} channels; SD1.5 latents have ${LATENT_CHANNELS}`);
    }
    const output = session.outputs.find((o) => o.name === 'sample') ?? session.outputs[0];
    if (!output) throw modelInvalid(session.file, 'the model has no outputs');
    return new VaeDecoderModel(session, input.name, floatTypeOf(input.type, session.file, input.name), output.name);
  }

  async decode(latents: Float32Array, height: number, width: number): Promise<Float32Array> {
    const outputs = await this.session.run({ [this.inputName]: floatTensor(this.inputType, latents, [1, LATENT_CHANNELS, height, width]) });
    return toFloat32(outputs[this.outputName]);
  }
}
