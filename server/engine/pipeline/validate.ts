import { createGenerator, RNG_NAMES, SEED_MAX, parseSeed, randomSeed, type RngName } from '../rng/index.ts';
import { SCHEDULER_NAMES, type SchedulerName } from '../schedulers/index.ts';
import { ValidationError } from './errors.ts';

export const SIZE_MIN = 64;
export const SIZE_MAX = 2048;
export const STEPS_MAX = 150;
export const GUIDANCE_MAX = 30;
export const PROMPT_MAX_CHARS = 2000;
export const DEFAULT_MAX_PIXELS = 1024 * 1024;

/** Which VAE decoder turns the final latents into pixels: the model's own, or a TAESD-architecture tiny one. */
export const DECODER_NAMES = ['full', 'tiny'] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];

/** A request as callers give it: seed optional and in any bigint-safe form. */
export interface Txt2ImgParams {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  seed?: bigint | string | number;
  rng?: RngName;
  scheduler: SchedulerName;
  /** Default `full`. */
  decoder?: DecoderName;
}

/** A checked request: every field present, the seed fixed. */
export interface Txt2ImgSettings {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  seed: bigint;
  rng: RngName;
  scheduler: SchedulerName;
  decoder: DecoderName;
}

export interface ValidationLimits {
  /** width × height cap (generation.max_pixels). */
  maxPixels?: number;
}

export function validateTxt2Img(params: Txt2ImgParams, limits: ValidationLimits = {}): Txt2ImgSettings {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const prompt = checkText('prompt', params.prompt);
  const negativePrompt = checkText('negativePrompt', params.negativePrompt ?? '');
  const width = checkSize('width', params.width);
  const height = checkSize('height', params.height);
  if (width * height > maxPixels) {
    throw new ValidationError('width', `width × height must be at most ${maxPixels} pixels, got ${width} × ${height} = ${width * height}`);
  }
  const steps = params.steps;
  if (!Number.isInteger(steps) || steps < 1 || steps > STEPS_MAX) {
    throw new ValidationError('steps', `steps must be an integer in 1 … ${STEPS_MAX}, got ${String(steps)}`);
  }
  const guidanceScale = params.guidanceScale;
  if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale) || guidanceScale < 0 || guidanceScale > GUIDANCE_MAX) {
    throw new ValidationError('guidanceScale', `guidanceScale must be a number in 0 … ${GUIDANCE_MAX}, got ${String(guidanceScale)}`);
  }
  const scheduler = params.scheduler;
  if (!SCHEDULER_NAMES.includes(scheduler)) {
    throw new ValidationError('scheduler', `scheduler must be one of ${SCHEDULER_NAMES.join(', ')}, got ${JSON.stringify(scheduler)}`);
  }
  const rng = params.rng ?? 'torch';
  if (!RNG_NAMES.includes(rng)) {
    throw new ValidationError('rng', `rng must be one of ${RNG_NAMES.join(', ')}, got ${JSON.stringify(rng)}`);
  }
  const seed = checkSeed(params.seed, rng);
  const decoder = params.decoder ?? 'full';
  if (!DECODER_NAMES.includes(decoder)) {
    throw new ValidationError('decoder', `decoder must be one of ${DECODER_NAMES.join(', ')}, got ${JSON.stringify(decoder)}`);
  }
  return { prompt, negativePrompt, width, height, steps, guidanceScale, seed, rng, scheduler, decoder };
}

/** Seeds of a multi-image request: seed, seed + 1, …; each must stay in range for the RNG. */
export function imageSeeds(first: bigint, count: number, rng: RngName): bigint[] {
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new ValidationError('numImages', `numImages must be an integer in 1 … 64, got ${String(count)}`);
  }
  const seeds = Array.from({ length: count }, (_, i) => first + BigInt(i));
  checkSeed(seeds[seeds.length - 1], rng);
  return seeds;
}

function checkText(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, `${field} must be text`);
  if (value.length > PROMPT_MAX_CHARS) {
    throw new ValidationError(field, `${field} must be at most ${PROMPT_MAX_CHARS} characters, got ${value.length}`);
  }
  return value;
}

function checkSize(field: 'width' | 'height', value: number): number {
  if (!Number.isInteger(value) || value < SIZE_MIN || value > SIZE_MAX || value % 8 !== 0) {
    throw new ValidationError(field, `${field} must be a multiple of 8 in ${SIZE_MIN} … ${SIZE_MAX}, got ${String(value)}`);
  }
  return value;
}

function checkSeed(value: Txt2ImgParams['seed'], rng: RngName): bigint {
  if (value === undefined || value === null || value === '') return randomSeed();
  let seed: bigint;
  try {
    seed = parseSeed(value);
  } catch {
    throw new ValidationError('seed', `seed must be an integer in 0 … ${SEED_MAX}, got ${JSON.stringify(String(value))}`);
  }
  try {
    createGenerator(rng, seed); // each RNG knows its own seed range (numpy: 0 … 2^32 − 1)
  } catch (error) {
    throw new ValidationError('seed', `seed ${seed} does not suit the ${rng} RNG: ${(error as Error).message}`);
  }
  return seed;
}
