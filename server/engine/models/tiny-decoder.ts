/**
 * A TAESD-architecture tiny VAE decoder (madebyollin/taesd): UNet-space latents `[1, 4, h, w]` → `[1, 3, 8h, 8w]`.
 *
 * Two output conventions exist in the wild, told apart from the graph itself:
 *  - exports of diffusers' AutoencoderTiny (the hub's TAESD ONNX folders, `imagineer forge --preset taesd`) end with
 *    DecoderTiny's `.mul(2).sub(1)`: output in −1 … 1, like the full VAE;
 *  - exports of taesd.py's `Decoder()` nn.Sequential end on its last Conv: output in 0 … 1.
 * `decode` always returns −1 … 1, so the pipeline treats both decoders alike.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { modelInvalid, modelMissing } from './errors.ts';
import { ModelSession, type SessionSettings } from './session.ts';
import { floatTensor, floatTypeOf, toFloat32, type FloatType } from './tensors.ts';
import { LATENT_CHANNELS } from './unet.ts';

export type TinyDecoderRange = 'minus-one-one' | 'zero-one';

/** Where a TAESD decoder may sit inside a folder, in the order they are tried. */
export const TINY_DECODER_FILES = ['vae_decoder/model.onnx', 'model.onnx', 'taesd_decoder.onnx', 'decoder.onnx'] as const;

/** The file of a tiny decoder given as a file or a folder (one of TINY_DECODER_FILES, or a folder's only .onnx). */
export function resolveTinyDecoderFile(path: string): string {
  if (!existsSync(path)) throw modelMissing(path, 'tiny decoder not found (model.tiny_decoder)');
  if (!statSync(path).isDirectory()) return path;
  for (const candidate of TINY_DECODER_FILES) if (existsSync(join(path, candidate))) return join(path, candidate);
  const onnxFiles = readdirSync(path).filter((name) => name.endsWith('.onnx'));
  if (onnxFiles.length === 1) return join(path, onnxFiles[0]);
  throw modelMissing(path, `no TAESD decoder in this folder (looked for ${TINY_DECODER_FILES.join(', ')} or a single .onnx file)`);
}

/**
 * The output convention, from the op that produces the graph output (through Casts): a Conv is taesd.py's raw output
 * in 0 … 1; anything else (DecoderTiny's Sub) is −1 … 1, which is also what an unknown graph is taken to be.
 */
export function detectOutputRange(modelBytes: Uint8Array): TinyDecoderRange {
  const graph = onnxProto.onnx.ModelProto.decode(modelBytes).graph;
  const output = graph?.output?.[0]?.name;
  if (!graph || !output) return 'minus-one-one';
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const name of node.output ?? []) producers.set(name, node);
  let node = producers.get(output);
  while (node && (node.opType === 'Cast' || node.opType === 'Identity')) node = producers.get(node.input?.[0] ?? '');
  return node?.opType === 'Conv' ? 'zero-one' : 'minus-one-one';
}

/** diffusers writes AutoencoderTiny's config.json next to the export; its scaling_factor is 1 for TAESD. */
function readScalingFactor(file: string): number {
  for (const dir of [dirname(file), dirname(dirname(file))]) {
    const configFile = join(dir, 'config.json');
    if (!existsSync(configFile)) continue;
    try {
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as { _class_name?: unknown; scaling_factor?: unknown };
      if (config._class_name !== 'AutoencoderTiny') continue;
      const factor = config.scaling_factor;
      if (typeof factor === 'number' && Number.isFinite(factor) && factor > 0) return factor;
    } catch {
      // An unreadable config is not the decoder's problem: TAESD's factor is 1.
    }
  }
  return 1;
}

export class TinyDecoderModel {
  /** Last measured cost, for the preview budget: ms per latent pixel (h · w). */
  msPerLatentPixel: number | undefined;

  private constructor(
    readonly session: ModelSession,
    readonly file: string,
    readonly outputRange: TinyDecoderRange,
    /** Latents are divided by this before decoding (AutoencoderTiny's scaling_factor, 1 for TAESD). */
    readonly scalingFactor: number,
    private readonly inputName: string,
    private readonly inputType: FloatType,
    private readonly outputName: string,
  ) {}

  /** Opens the decoder at `path` (a file, or a folder holding one). */
  static async open(path: string, settings: SessionSettings): Promise<TinyDecoderModel> {
    const file = resolveTinyDecoderFile(path);
    let range: TinyDecoderRange;
    try {
      range = detectOutputRange(readFileSync(file));
    } catch (error) {
      throw modelInvalid(file, `not a readable ONNX model (${(error as Error).message})`);
    }
    const session = await ModelSession.open(file, settings, dirname(file));
    try {
      return TinyDecoderModel.create(session, range, readScalingFactor(file));
    } catch (error) {
      await session.dispose();
      throw error;
    }
  }

  static create(session: ModelSession, outputRange: TinyDecoderRange, scalingFactor = 1): TinyDecoderModel {
    const input = session.input('latent_sample') ?? (session.inputs.length === 1 ? session.inputs[0] : undefined);
    if (!input) {
      throw modelInvalid(session.file, `expected one input (latent_sample); found ${session.inputs.map((i) => i.name).join(', ') || 'none'}`);
    }
    const channels = input.shape[1];
    if (input.shape.length !== 4 || (typeof channels === 'number' && channels !== LATENT_CHANNELS)) {
      throw modelInvalid(session.file, `input ${input.name} has shape [${input.shape.join(', ')}]; a TAESD decoder for SD1.5 takes [batch, ${LATENT_CHANNELS}, height, width]`);
    }
    const output = session.outputs.find((o) => o.name === 'sample') ?? session.outputs[0];
    if (!output) throw modelInvalid(session.file, 'the model has no outputs');
    const outChannels = output.shape[1];
    if (typeof outChannels === 'number' && outChannels !== 3) throw modelInvalid(session.file, `output ${output.name} has ${outChannels} channels; expected 3 (RGB)`);
    return new TinyDecoderModel(session, session.file, outputRange, scalingFactor, input.name, floatTypeOf(input.type, session.file, input.name), output.name);
  }

  /** UNet-space latents (not divided by 0.18215) → the image in −1 … 1, `[1, 3, 8h, 8w]`. */
  async decode(latents: Float32Array, height: number, width: number): Promise<Float32Array> {
    const started = performance.now();
    let input = latents;
    if (this.scalingFactor !== 1) input = latents.map((v) => v / this.scalingFactor);
    const outputs = await this.session.run({ [this.inputName]: floatTensor(this.inputType, input, [1, LATENT_CHANNELS, height, width]) });
    const image = toFloat32(outputs[this.outputName]);
    // The output tensor is this call's own: converted in place.
    if (this.outputRange === 'zero-one') for (let i = 0; i < image.length; i++) image[i] = image[i] * 2 - 1;
    this.msPerLatentPixel = (performance.now() - started) / (height * width);
    return image;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/**
 * Opens the tiny decoder for a model being loaded. A missing or broken one does not stop the model: it is logged
 * (jobs asking for `decoder: tiny` are then refused) and undefined comes back.
 */
export async function openTinyDecoder(path: string, settings: SessionSettings, log: (line: string) => void): Promise<TinyDecoderModel | undefined> {
  try {
    const decoder = await TinyDecoderModel.open(path, settings);
    log(`tiny decoder (TAESD) loaded from ${decoder.file} (output ${decoder.outputRange === 'zero-one' ? '0 … 1, taesd.py export' : '−1 … 1, diffusers export'})`);
    return decoder;
  } catch (error) {
    log(`tiny decoder not loaded: ${(error as Error).message}. Jobs with decoder: tiny will be refused; the model itself works.`);
    return undefined;
  }
}
