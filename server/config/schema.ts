import { z } from 'zod';
import { RNG_NAMES, type RngName } from '../engine/rng/index.ts';
import { SCHEDULER_NAMES, type SchedulerName } from '../engine/schedulers/index.ts';
import { DECODER_NAMES } from '../engine/pipeline/validate.ts';

export const DEVICES = ['auto', 'cuda', 'dml', 'coreml', 'cpu'] as const;
const SCHEDULERS = SCHEDULER_NAMES as [SchedulerName, ...SchedulerName[]];
const RNGS = RNG_NAMES as [RngName, ...RngName[]];

const multipleOf8 = (min: number, max: number) =>
  z.number().int().min(min).max(max).refine((v) => v % 8 === 0, { message: 'must be a multiple of 8' });

const path = z.string().min(1);

export const configSchema = z.strictObject({
  model: z
    .strictObject({
      default: z.string().min(1).default('demo'),
      cache_dir: path.default('models'),
      /** auto (`<cache_dir>/taesd`, or the demo model's forged one) | none | a TAESD ONNX file or folder. */
      tiny_decoder: z.string().min(1).default('auto'),
    })
    .prefault({}),
  generation: z
    .strictObject({
      width: multipleOf8(64, 2048).default(512),
      height: multipleOf8(64, 2048).default(512),
      steps: z.number().int().min(1).max(150).default(25),
      guidance_scale: z.number().min(0).max(30).default(8.0),
      negative_prompt: z.string().max(2000).default(''),
      scheduler: z.enum(SCHEDULERS).default('dpmpp_2m'),
      rng: z.enum(RNGS).default('torch'),
      num_images: z.number().int().min(1).max(64).default(1),
      max_pixels: z.number().int().min(4096).max(2048 * 2048).default(1024 * 1024),
      /** The "fast draft" preset: few-step LCM with the LCM-LoRA (see README, "Fast drafts"). */
      fast_draft: z
        .strictObject({
          lora: z.string().regex(/^[^/\\]+$/, { message: 'must be a LoRA name (a file stem in lora.directory), not a path' }).default('lcm-lora-sdv1-5'),
          lora_weight: z.number().min(0).max(2).default(1),
          steps: z.number().int().min(1).max(16).default(4),
          guidance_scale: z.number().min(1).max(2).default(1),
          scheduler: z.enum(SCHEDULERS).default('lcm'),
          decoder: z.enum(DECODER_NAMES).default('tiny'),
        })
        .prefault({}),
    })
    .prefault({}),
  output: z
    .strictObject({
      directory: path.default('outputs'),
      save_metadata: z.boolean().default(true),
    })
    .prefault({}),
  sets: z.strictObject({ directory: path.default('sets') }).prefault({}),
  lora: z
    .strictObject({
      directory: path.default('loras'),
      strict: z.boolean().default(false),
      cache_mb: z.number().int().min(0).max(1024 * 1024).default(4096),
    })
    .prefault({}),
  training: z
    .strictObject({
      learning_rate: z.number().positive().max(1).default(1e-4),
      rank: z.number().int().min(1).max(1024).default(4),
      alpha: z.number().positive().default(4),
      dropout: z.number().min(0).max(1).default(0),
      max_steps: z.number().int().min(1).default(1000),
      save_every: z.number().int().min(1).default(250),
      output_dir: path.default('loras'),
    })
    .prefault({}),
  hardware: z
    .strictObject({
      device: z.enum(DEVICES).default('auto'),
      mixed_precision: z.enum(['no', 'fp16']).default('no'),
      threads: z.number().int().min(0).max(1024).default(0),
      // ONNX Runtime's optimised graphs kept under <data_dir>/cache/optimized (per model and LoRA set); 0 turns it off.
      optimized_cache_gb: z.number().min(0).max(100_000).default(20),
      // One UNet step and a decode at generation.width × height right after loading, so the first job runs at full speed.
      warmup: z.boolean().default(true),
    })
    .prefault({}),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(10050),
      data_dir: path.default('data'),
      api_key: z.string().min(8).optional(),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type Device = (typeof DEVICES)[number];

/** Keys a running server may change through `updateConfig`; the rest need a restart or are security-relevant. */
export const UPDATABLE_KEYS = {
  generation: ['width', 'height', 'steps', 'guidance_scale', 'negative_prompt', 'scheduler', 'rng', 'num_images'],
  output: ['save_metadata'],
  lora: ['strict'],
} as const satisfies Partial<Record<keyof Config, readonly string[]>>;
