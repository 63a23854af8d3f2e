import type { RngName } from '../engine/rng/index.ts';
import type { DecoderName } from '../engine/pipeline/validate.ts';
import type { SchedulerName } from '../engine/schedulers/index.ts';
import type { AppliedLora } from './lora-sessions.ts';

export type { AppliedLora } from './lora-sessions.ts';

export interface EngineOptions {
  /** A model folder, or `demo` for the forged demo model. */
  modelDir: string;
  device: 'auto' | 'cuda' | 'dml' | 'coreml' | 'cpu';
  threads: number;
  /** width × height cap (generation.max_pixels). */
  maxPixels?: number;
  /** Where `demo` is forged (`<dataDir>/models/demo`) and optimised graphs are cached (`<dataDir>/cache/optimized`). */
  dataDir: string;
  /** Bound on the optimised-graph cache, GiB; 0 or absent: no cache. */
  optimizedCacheGb?: number;
  /** After loading, one step and one decode at this size so the first job does not pay for the first run at a size. */
  warmup?: { width: number; height: number };
  /** lora.directory: jobs name LoRAs, resolved here. Absent: jobs with LoRAs are refused. */
  loraDir?: string;
  /** generation.fast_draft.lora: with the demo model, a matching LCM-LoRA of this name is forged into `<demo>/loras`. */
  fastDraftLora?: string;
  /** lora.strict: a LoRA key that matches no layer fails the job instead of warning. */
  loraStrict?: boolean;
  /** lora.cache_mb: bound on the merged models kept between jobs (default 4096). */
  loraCacheMb?: number;
  /** model.tiny_decoder: `auto` (absent: the same), `none`, or a TAESD ONNX file or folder. */
  tinyDecoder?: string;
}

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  /** Decimal, bigint-safe; random when absent. */
  seed?: string;
  rng?: RngName;
  scheduler: SchedulerName;
  loras?: { name: string; weight: number }[];
  /** `full` (default) or `tiny` (the TAESD decoder; refused when the engine has none). */
  decoder?: DecoderName;
  /** `.png`; the JSON sidecar goes next to it. */
  outputPath: string;
  /** false: no sidecar (output.save_metadata). */
  saveMetadata?: boolean;
  extraMetadata?: Record<string, unknown>;
}

export interface GenerateProgress {
  step: number;
  totalSteps: number;
  elapsedMs: number;
  etaMs: number;
  preview?: { width: number; height: number; png: Uint8Array };
}

export interface GenerateResult {
  imagePath: string;
  /** Empty when saveMetadata was false. */
  sidecarPath: string;
  seed: string;
  width: number;
  height: number;
  timings: Record<string, number>;
  /** Per-LoRA load report, in request order (weight-0 LoRAs included with matched 0). */
  loras?: AppliedLora[];
  /** LoRA warnings (unmatched keys), also logged. */
  warnings?: string[];
}

export interface EngineInfo {
  modelDir: string;
  provider: string;
  isDemo: boolean;
  schedulers: string[];
  /** The decoders `GenerateRequest.decoder` may name; absent: `full` only. */
  decoders?: DecoderName[];
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  field?: string;
  stack?: string;
}

export type ToWorker =
  | { type: 'init'; options: EngineOptions }
  | { type: 'generate'; jobId: string; request: GenerateRequest; cancelFlag: SharedArrayBuffer }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'log'; line: string }
  | { type: 'progress'; jobId: string; progress: GenerateProgress }
  | { type: 'result'; jobId: string; result: GenerateResult }
  | { type: 'error'; jobId: string; error: SerializedError }
  | { type: 'closed' };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, field } = error as { code?: unknown; field?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof field === 'string' ? { field } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}
