import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSchedulerConfig, type SchedulerConfig } from '../schedulers/index.ts';
import { ClipTokenizer } from '../tokenizer/index.ts';
import { ModelError, modelInvalid, modelMissing } from './errors.ts';
import type { OptimizedModelCache } from './optimized-cache.ts';
import { planProviders, type DeviceSetting, type ProviderName } from './providers.ts';
import { ModelSession } from './session.ts';
import { TextEncoderModel } from './text-encoder.ts';
import { openTinyDecoder, type TinyDecoderModel } from './tiny-decoder.ts';
import { UnetModel } from './unet.ts';
import { VaeDecoderModel } from './vae-decoder.ts';

export interface LoadOptions {
  device: DeviceSetting;
  /** intra-op threads; 0 lets ONNX Runtime pick. */
  threads: number;
  /** Where ONNX Runtime's optimised graphs are kept between starts; absent: optimised at every load. */
  cache?: OptimizedModelCache;
  /** A TAESD decoder (file or folder) to open beside the model; one that fails to open is logged, not fatal. */
  tinyDecoder?: string;
  log?: (line: string) => void;
}

/** An SD1.5 model folder with its sessions open, ready for any number of jobs. */
export interface LoadedModel {
  dir: string;
  provider: ProviderName;
  modelIndex: Record<string, unknown>;
  tokenizer: ClipTokenizer;
  schedulerConfig: SchedulerConfig;
  textEncoder: TextEncoderModel;
  unet: UnetModel;
  vaeDecoder: VaeDecoderModel;
  /** The TAESD decoder for `decoder: tiny` jobs and previews, when one was configured and opened. */
  tinyDecoder?: TinyDecoderModel;
  /** Time spent opening the sessions, ms. */
  loadMs: number;
  dispose(): Promise<void>;
}

export const MODEL_FILES = {
  modelIndex: 'model_index.json',
  schedulerConfig: 'scheduler/scheduler_config.json',
  tokenizerVocab: 'tokenizer/vocab.json',
  tokenizerMerges: 'tokenizer/merges.txt',
  textEncoder: 'text_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
} as const;

/**
 * Opens a diffusers ONNX export (`model.onnx` + `weights.pb`) or an optimum one (`model.onnx` + `model.onnx_data`):
 * both keep the same folder names, and ONNX Runtime finds the external weights next to each `model.onnx`.
 */
export async function loadModel(dir: string, options: LoadOptions): Promise<LoadedModel> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  if (!existsSync(dir)) throw modelMissing(dir, 'model folder does not exist');
  for (const file of Object.values(MODEL_FILES)) {
    if (!existsSync(join(dir, file))) throw modelMissing(join(dir, file), `missing from the model folder ${dir}`);
  }
  const modelIndex = readJsonObject(join(dir, MODEL_FILES.modelIndex));
  checkPipelineClass(modelIndex, join(dir, MODEL_FILES.modelIndex));
  const schedulerFile = join(dir, MODEL_FILES.schedulerConfig);
  const schedulerConfig = wrapInvalid(schedulerFile, () => parseSchedulerConfig(readJsonObject(schedulerFile), schedulerFile));
  const tokenizer = wrapInvalid(join(dir, 'tokenizer'), () => ClipTokenizer.fromDirectory(join(dir, 'tokenizer')));

  const { provider, session: textSession } = await openWithProvider(join(dir, MODEL_FILES.textEncoder), options, log);
  const settings = { provider, threads: options.threads, cache: options.cache };
  const sessions: ModelSession[] = [textSession];
  try {
    const textEncoder = await TextEncoderModel.create(textSession);
    const unetSession = await ModelSession.open(join(dir, MODEL_FILES.unet), settings, dir);
    sessions.push(unetSession);
    const unet = UnetModel.create(unetSession);
    if (unet.crossAttentionDim !== undefined && unet.crossAttentionDim !== textEncoder.hiddenSize) {
      throw modelInvalid(
        unetSession.file,
        `encoder_hidden_states has ${unet.crossAttentionDim} features but the text encoder gives ${textEncoder.hiddenSize} (not an SD1.5 pair)`,
      );
    }
    const vaeSession = await ModelSession.open(join(dir, MODEL_FILES.vaeDecoder), settings, dir);
    sessions.push(vaeSession);
    const vaeDecoder = VaeDecoderModel.create(vaeSession);
    const tinyDecoder = options.tinyDecoder ? await openTinyDecoder(options.tinyDecoder, settings, log) : undefined;
    if (tinyDecoder) sessions.push(tinyDecoder.session);
    const loadMs = performance.now() - started;
    log(`model loaded from ${dir} on ${provider} in ${Math.round(loadMs)} ms`);
    return {
      dir,
      provider,
      modelIndex,
      tokenizer,
      schedulerConfig,
      textEncoder,
      unet,
      vaeDecoder,
      ...(tinyDecoder ? { tinyDecoder } : {}),
      loadMs,
      dispose: async () => {
        await Promise.all(sessions.map((s) => s.dispose()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.dispose()));
    throw error;
  }
}

/**
 * Opens the first session on the best provider that works. With `auto`, a provider that fails is logged and the
 * next one tried; with an explicit device, its failure is an error (unless the file itself is broken).
 */
async function openWithProvider(file: string, options: LoadOptions, log: (line: string) => void) {
  const plan = planProviders(options.device);
  for (const { provider, reason } of plan.skipped) log(`execution provider ${provider}: not used (${reason})`);
  if (plan.candidates.length === 0) {
    throw new ModelError('DEVICE_UNAVAILABLE', `hardware.device is '${options.device}' but ${plan.skipped[0]?.reason ?? 'it is not available'}`);
  }
  for (const provider of plan.candidates) {
    try {
      const session = await ModelSession.open(file, { provider, threads: options.threads, cache: options.cache });
      log(`execution provider: ${provider}${options.device === 'auto' ? ' (hardware.device: auto)' : ''}`);
      return { provider, session };
    } catch (error) {
      if (provider === 'cpu' || (error instanceof ModelError && error.code === 'MODEL_MISSING')) throw error;
      if (options.device !== 'auto') {
        // Tell a broken file apart from a provider that cannot start: the CPU provider always can.
        const onCpu = await ModelSession.open(file, { provider: 'cpu', threads: options.threads });
        await onCpu.dispose();
        throw new ModelError('DEVICE_UNAVAILABLE', `hardware.device is '${provider}' but it failed to start: ${causeOf(error)}`);
      }
      log(`execution provider ${provider}: not used (${causeOf(error).split('\n')[0]})`);
    }
  }
  throw new ModelError('DEVICE_UNAVAILABLE', 'no execution provider could be started');
}

function causeOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

function readJsonObject(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw modelInvalid(file, `not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw modelInvalid(file, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function checkPipelineClass(modelIndex: Record<string, unknown>, file: string): void {
  const className = modelIndex._class_name;
  if (typeof className === 'string' && /XL|StableDiffusion3|Flux|Kandinsky/i.test(className)) {
    throw modelInvalid(file, `${className} is not a Stable Diffusion 1.5 pipeline`);
  }
}

function wrapInvalid<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw modelInvalid(file, (error as Error).message);
  }
}
