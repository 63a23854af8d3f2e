import type { JobRow } from '../db/index.ts';

export interface RunnerProgress {
  step: number;
  totalSteps: number;
  elapsedMs: number;
  etaMs: number;
  preview?: { width: number; height: number; png: Uint8Array };
}

export interface RunnerResult {
  /** Absolute path of the written PNG (its JSON sidecar lies next to it). */
  imagePath: string;
  width: number;
  height: number;
  seed: string;
}

export interface RunRequest {
  job: JobRow;
  /** Absolute path the PNG must be written to. */
  outputPath: string;
}

/**
 * Runs one claimed job to its image. Rejects with an error whose `code` is 'CANCELLED' once `signal`
 * aborts (before the next step); other errors may carry a `code` the user can act on (MODEL_MISSING…).
 */
export interface JobRunner {
  run(request: RunRequest, onProgress: (progress: RunnerProgress) => void, signal: AbortSignal): Promise<RunnerResult>;
}

/** Error codes whose message is written for the user and shown as is; other failures are masked. */
export const PUBLIC_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'MODEL_MISSING',
  'MODEL_INVALID',
  'DEVICE_UNAVAILABLE',
  'LORA_INCOMPATIBLE',
  'LORA_INVALID',
  'LORA_UNSUPPORTED',
  'LORA_UNMATCHED',
  'OUT_OF_MEMORY',
  'ENGINE_CRASHED',
  'ENGINE_CLOSED',
  'INTERRUPTED',
  'CANCELLED',
  'OUTPUT_WRITE_FAILED',
]);

export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
