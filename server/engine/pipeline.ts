import { decodedToRgb8, type RgbImage } from './image/index.ts';
import { LATENT_CHANNELS, type LoadedModel } from './models/index.ts';
import { CancelledError, throwIfCancelled, ValidationError } from './pipeline/errors.ts';
import { predictGuidedNoise, type LatentShape } from './pipeline/guidance.ts';
import { PreviewMaker } from './pipeline/preview-budget.ts';
import { encodePrompts } from './pipeline/prompt.ts';
import type { DecoderName, Txt2ImgSettings } from './pipeline/validate.ts';
import { createGenerator } from './rng/index.ts';
import { createScheduler, type Scheduler } from './schedulers/index.ts';

export { CancelledError, ValidationError } from './pipeline/errors.ts';
export { DECODER_NAMES, imageSeeds, validateTxt2Img, type DecoderName, type Txt2ImgParams, type Txt2ImgSettings, type ValidationLimits } from './pipeline/validate.ts';

/** SD1.5 VAE scaling factor: latents are divided by it before decoding. */
export const VAE_SCALING_FACTOR = 0.18215;
export const VAE_DOWNSCALE = 8;

export interface StepProgress {
  /** 1-based: the step just finished. */
  step: number;
  totalSteps: number;
  elapsedMs: number;
  etaMs: number;
  /**
   * The predicted clean image; present at most once per `previewIntervalMs`. Decoded at full size by the tiny decoder
   * when one is loaded and previews stay within 10 % of the time; otherwise the latent-RGB approximation at latent size.
   */
  preview?: RgbImage;
}

export interface Txt2ImgOptions {
  /** Checked before every step and before decoding; an aborted signal ends the job with a CancelledError. */
  signal?: AbortSignal;
  onProgress?: (progress: StepProgress) => void;
  /** Least time between two previews; undefined: no previews. */
  previewIntervalMs?: number;
  log?: (line: string) => void;
}

export interface PipelineTimings {
  textEncodeMs: number;
  stepMs: number[];
  denoiseMs: number;
  decodeMs: number;
  /** Which decoder made the image. */
  decoder: DecoderName;
  /** Previews decoded by the tiny decoder, and the time they took (inside denoiseMs). */
  tinyPreviews: number;
  tinyPreviewMs: number;
  /** Time inside `session.run` (all models); the rest is scheduler, tensors and JS. */
  sessionRunMs: number;
  totalMs: number;
}

export interface Txt2ImgResult {
  image: RgbImage;
  settings: Txt2ImgSettings;
  timings: PipelineTimings;
}

/** Text to image, in the order of diffusers' StableDiffusionPipeline: encode prompt → latents → denoise with CFG → decode. */
export async function txt2img(model: LoadedModel, settings: Txt2ImgSettings, options: Txt2ImgOptions = {}): Promise<Txt2ImgResult> {
  const { signal } = options;
  const started = performance.now();
  const runMsBefore = sessionRunMs(model);
  throwIfCancelled(signal, 'before it started');

  checkModelSize(model, settings);
  checkDecoderAvailable(model, settings);

  // 1. Scheduler and timesteps, from the model's scheduler_config.json.
  const scheduler = prepareScheduler(model, settings);

  // 2. Prompt → text states; the negative prompt is the unconditional text. Guidance ≤ 1 needs no unconditional pass.
  const textStarted = performance.now();
  const guided = settings.guidanceScale > 1;
  const text = await encodePrompts(model, settings.prompt, guided ? settings.negativePrompt : undefined);
  if (text.droppedChunks > 0) {
    options.log?.(`prompt cut to 77 tokens: this UNet export takes no longer text (${text.droppedChunks} chunk(s) dropped)`);
  }
  const textEncodeMs = performance.now() - textStarted;

  // 3. Initial latents: seeded standard-normal noise scaled to the scheduler's first sigma. A size the UNet cannot
  //    take (SD1.5 exports: multiples of 64 px) is generated at the next size it can and cropped to the centre.
  const requested = { height: settings.height / VAE_DOWNSCALE, width: settings.width / VAE_DOWNSCALE };
  const shape = paddedLatentShape(requested, model.unet.latentMultiple);
  if (shape.height !== requested.height || shape.width !== requested.width) {
    options.log?.(
      `this UNet takes multiples of ${model.unet.latentMultiple * VAE_DOWNSCALE} px: generating at ${shape.width * VAE_DOWNSCALE}×${shape.height * VAE_DOWNSCALE} ` +
        `and cropping the centre ${settings.width}×${settings.height}`,
    );
  }
  const generator = createGenerator(settings.rng, settings.seed);
  let latents = generator.randn(LATENT_CHANNELS * shape.height * shape.width);
  scaleInPlace(latents, scheduler.initNoiseSigma);

  // 4. Denoising loop.
  const denoiseStarted = performance.now();
  const stepMs: number[] = [];
  const totalSteps = scheduler.timesteps.length;
  const previews = new PreviewMaker(model.tinyDecoder, shape, options.previewIntervalMs, denoiseStarted);
  for (let i = 0; i < totalSteps; i++) {
    throwIfCancelled(signal, `before step ${i + 1} of ${totalSteps}`);
    const stepStarted = performance.now();
    const modelInput = scheduler.scaleModelInput(latents, i);
    const noise = await predictGuidedNoise(model.unet, modelInput, scheduler.timesteps[i], text, settings.guidanceScale, shape);
    const { prevSample, predOriginalSample } = scheduler.step(noise, i, latents, generator);
    latents = prevSample;
    const now = performance.now();
    stepMs.push(now - stepStarted);
    if (options.onProgress) {
      const elapsedMs = now - started;
      const perStep = (now - denoiseStarted) / (i + 1);
      const preview = await previews.make(now, predOriginalSample);
      options.onProgress({
        step: i + 1,
        totalSteps,
        elapsedMs,
        etaMs: perStep * (totalSteps - i - 1),
        ...(preview ? { preview } : {}),
      });
    }
  }
  const denoiseMs = performance.now() - denoiseStarted;

  // 5. Decode: latents / 0.18215 → VAE decoder → clamp((x + 1) / 2, 0, 1) → RGB8. TAESD takes the UNet's latents as they are.
  throwIfCancelled(signal, 'before decoding');
  const decodeStarted = performance.now();
  latents = cropLatents(latents, shape, requested);
  let decoded: Float32Array;
  if (settings.decoder === 'tiny' && model.tinyDecoder) {
    decoded = await model.tinyDecoder.decode(latents, requested.height, requested.width);
  } else {
    for (let i = 0; i < latents.length; i++) latents[i] /= VAE_SCALING_FACTOR;
    decoded = await model.vaeDecoder.decode(latents, requested.height, requested.width);
  }
  const image: RgbImage = { width: settings.width, height: settings.height, rgb: decodedToRgb8(decoded, settings.width, settings.height) };
  const decodeMs = performance.now() - decodeStarted;

  return {
    image,
    settings,
    timings: {
      textEncodeMs,
      stepMs,
      denoiseMs,
      decodeMs,
      decoder: settings.decoder,
      tinyPreviews: previews.tinyCount,
      tinyPreviewMs: previews.tinyMs,
      sessionRunMs: sessionRunMs(model) - runMsBefore,
      totalMs: performance.now() - started,
    },
  };
}

function prepareScheduler(model: LoadedModel, settings: Txt2ImgSettings): Scheduler {
  const scheduler = createScheduler(settings.scheduler, model.schedulerConfig);
  try {
    scheduler.setTimesteps(settings.steps);
  } catch (error) {
    if (error instanceof RangeError) throw new ValidationError('steps', `steps: ${error.message}`);
    throw error;
  }
  return scheduler;
}

/** Exports traced with static shapes make one image size only. */
function checkModelSize(model: LoadedModel, settings: Txt2ImgSettings): void {
  const fixed = model.unet.fixedLatentSize;
  if (!fixed) return;
  const width = fixed.width * VAE_DOWNSCALE;
  const height = fixed.height * VAE_DOWNSCALE;
  if (settings.width !== width || settings.height !== height) {
    throw new ValidationError(
      settings.width !== width ? 'width' : 'height',
      `this model export only makes ${width}×${height} images (its UNet has a fixed input size), got ${settings.width}×${settings.height}`,
    );
  }
}

/** `decoder: tiny` needs a TAESD decoder loaded beside the model. */
export function checkDecoderAvailable(model: LoadedModel, settings: Txt2ImgSettings): void {
  if (settings.decoder !== 'tiny' || model.tinyDecoder) return;
  throw new ValidationError(
    'decoder',
    'decoder tiny needs a TAESD tiny decoder and none is loaded: put a TAESD ONNX export in the folder `taesd` under model.cache_dir ' +
      '(e.g. `huggingface-cli download deinferno/taesd-onnx --local-dir models/taesd`), or set model.tiny_decoder to one, and restart; ' +
      'or use decoder full',
  );
}

/** The latent size to denoise at: each side rounded up to the UNet's multiple. */
export function paddedLatentShape(shape: LatentShape, multiple: number): LatentShape {
  const up = (n: number) => Math.ceil(n / multiple) * multiple;
  return { height: up(shape.height), width: up(shape.width) };
}

/** The centred `to` window of `[4, from.height, from.width]` latents (the same array when the sizes match). */
export function cropLatents(latents: Float32Array, from: LatentShape, to: LatentShape): Float32Array {
  if (from.height === to.height && from.width === to.width) return latents;
  const top = Math.floor((from.height - to.height) / 2);
  const left = Math.floor((from.width - to.width) / 2);
  const out = new Float32Array(LATENT_CHANNELS * to.height * to.width);
  for (let c = 0; c < LATENT_CHANNELS; c++) {
    for (let y = 0; y < to.height; y++) {
      const source = (c * from.height + top + y) * from.width + left;
      out.set(latents.subarray(source, source + to.width), (c * to.height + y) * to.width);
    }
  }
  return out;
}

function scaleInPlace(values: Float32Array, factor: number): void {
  if (factor === 1) return;
  for (let i = 0; i < values.length; i++) values[i] *= factor;
}

function sessionRunMs(model: LoadedModel): number {
  return model.textEncoder.session.runMs + model.unet.session.runMs + model.vaeDecoder.session.runMs + (model.tinyDecoder?.session.runMs ?? 0);
}

/** Flat timings for metadata: totals plus the mean and count of steps. */
export function summarizeTimings(timings: PipelineTimings): Record<string, number> {
  const round = (v: number) => Math.round(v * 10) / 10;
  const steps = timings.stepMs.length;
  return {
    textEncodeMs: round(timings.textEncodeMs),
    denoiseMs: round(timings.denoiseMs),
    stepMeanMs: round(steps ? timings.denoiseMs / steps : 0),
    steps,
    decodeMs: round(timings.decodeMs),
    ...(timings.tinyPreviews > 0 ? { tinyPreviews: timings.tinyPreviews, tinyPreviewMs: round(timings.tinyPreviewMs) } : {}),
    sessionRunMs: round(timings.sessionRunMs),
    totalMs: round(timings.totalMs),
  };
}

export function isCancelled(error: unknown): error is CancelledError {
  return error instanceof CancelledError;
}
