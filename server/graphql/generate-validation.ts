import { randomInt } from 'node:crypto';
import type { LoadedConfig } from '../config/index.ts';
import { NUMPY_SEED_MAX } from '../engine/rng/index.ts';
import type { JobParameters } from '../queue/index.ts';
import { badUserInput } from './errors.ts';

export const MAX_PROMPT_LENGTH = 2000;
export const MAX_SEED = 2n ** 64n - 1n;
export const MAX_IMAGES_PER_REQUEST = 64;
export const MAX_LORAS = 8;

/** The `generate` mutation's input as GraphQL delivers it (absent fields fall back to the config). */
export interface GenerateInputShape {
  prompt: string;
  negativePrompt?: string | null;
  width?: number | null;
  height?: number | null;
  steps?: number | null;
  guidanceScale?: number | null;
  seed?: string | null;
  scheduler?: string | null;
  rng?: string | null;
  numImages?: number | null;
  loras?: readonly { name: string; weight?: number | null }[] | null;
  priority?: number | null;
}

export interface GenerateLimits {
  schedulers: readonly string[];
  rngs: readonly string[];
  loraNames: readonly string[];
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badUserInput(field, `${field} must be an integer in ${min} … ${max}, got ${value}`);
  return value;
}

function dimension(field: string, value: number): number {
  integerIn(field, value, 64, 2048);
  if (value % 8 !== 0) throw badUserInput(field, `${field} must be a multiple of 8, got ${value}`);
  return value;
}

/** Decimal text 0 … 2^64 − 1 (a GraphQL Int stops at 2^31, a JSON number is exact only to 2^53). */
export function parseSeed(value: string, field = 'seed'): bigint {
  if (!/^\d{1,20}$/.test(value.trim())) throw badUserInput(field, `${field} must be a whole number in 0 … ${MAX_SEED} written as a string`);
  const seed = BigInt(value.trim());
  if (seed > MAX_SEED) throw badUserInput(field, `${field} must be at most ${MAX_SEED}`);
  return seed;
}

/** Validates `generate` input at the edge and expands it into one job per image (seeds seed, seed+1, …). */
export function validateGenerateInput(input: GenerateInputShape, config: LoadedConfig, limits: GenerateLimits): JobParameters[] {
  const defaults = config.generation;
  const prompt = input.prompt;
  if (prompt.trim().length === 0) throw badUserInput('prompt', 'prompt must not be empty');
  if (prompt.length > MAX_PROMPT_LENGTH) throw badUserInput('prompt', `prompt must be at most ${MAX_PROMPT_LENGTH} characters, got ${prompt.length}`);
  const negativePrompt = input.negativePrompt ?? defaults.negative_prompt;
  if (negativePrompt.length > MAX_PROMPT_LENGTH) {
    throw badUserInput('negativePrompt', `negativePrompt must be at most ${MAX_PROMPT_LENGTH} characters, got ${negativePrompt.length}`);
  }
  const width = dimension('width', input.width ?? defaults.width);
  const height = dimension('height', input.height ?? defaults.height);
  if (width * height > defaults.max_pixels) {
    throw badUserInput('width', `width × height must be at most ${defaults.max_pixels} pixels (generation.max_pixels), got ${width}×${height}`);
  }
  const steps = integerIn('steps', input.steps ?? defaults.steps, 1, 150);
  const guidanceScale = input.guidanceScale ?? defaults.guidance_scale;
  if (!Number.isFinite(guidanceScale) || guidanceScale < 0 || guidanceScale > 30) {
    throw badUserInput('guidanceScale', `guidanceScale must be a number in 0 … 30, got ${guidanceScale}`);
  }
  const scheduler = input.scheduler ?? defaults.scheduler;
  if (!limits.schedulers.includes(scheduler)) throw badUserInput('scheduler', `scheduler must be one of ${limits.schedulers.join(', ')}, got ${JSON.stringify(scheduler)}`);
  const rng = input.rng ?? defaults.rng;
  if (!limits.rngs.includes(rng)) throw badUserInput('rng', `rng must be one of ${limits.rngs.join(', ')}, got ${JSON.stringify(rng)}`);
  const numImages = integerIn('numImages', input.numImages ?? defaults.num_images, 1, MAX_IMAGES_PER_REQUEST);
  const priority = integerIn('priority', input.priority ?? 0, -100, 100);
  const seed = input.seed === null || input.seed === undefined ? BigInt(randomInt(0, 2 ** 32)) : parseSeed(input.seed);
  const maxSeed = rng === 'numpy' ? NUMPY_SEED_MAX : MAX_SEED;
  if (seed + BigInt(numImages - 1) > maxSeed) throw badUserInput('seed', `seed + numImages − 1 must stay at most ${maxSeed} with the ${rng} RNG`);
  const loras = validateLoras(input.loras ?? [], limits.loraNames);
  return Array.from({ length: numImages }, (_, i) => ({
    prompt,
    negativePrompt,
    width,
    height,
    steps,
    guidanceScale,
    seed: (seed + BigInt(i)).toString(),
    scheduler,
    rng,
    loras,
    priority,
  }));
}

function validateLoras(loras: readonly { name: string; weight?: number | null }[], available: readonly string[]) {
  if (loras.length > MAX_LORAS) throw badUserInput('loras', `at most ${MAX_LORAS} LoRAs per image`);
  const seen = new Set<string>();
  return loras.map(({ name, weight }, i) => {
    if (!available.includes(name)) {
      throw badUserInput(`loras.${i}.name`, `unknown LoRA ${JSON.stringify(name)}; available: ${available.join(', ') || 'none'}`);
    }
    if (seen.has(name)) throw badUserInput(`loras.${i}.name`, `LoRA ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
    const w = weight ?? 1;
    if (!Number.isFinite(w) || w < -10 || w > 10) throw badUserInput(`loras.${i}.weight`, `LoRA weight must be a number in −10 … 10, got ${w}`);
    return { name, weight: w };
  });
}
