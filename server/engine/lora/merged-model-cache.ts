/**
 * Merged models cached per (model, component, [(LoRA sha256, weight)…]) within a byte bound.
 * Callers (the engine's worker thread) ask `getMergedModel` and build a session from the
 * result; jobs without LoRAs should keep using the base session and never come here.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hashFile } from './file-hash.ts';
import type { LoraComponent } from './formats.ts';
import { ByteBoundedLru } from '../lru.ts';
import { mergeLoras, type LoraRequest, type MergedModel } from './merge.ts';

export interface MergedModelRequest {
  /** The model folder (diffusers/optimum ONNX layout). */
  modelDir: string;
  component: LoraComponent;
  loras: LoraRequest[];
  strict: boolean;
  /** Defaults to `<modelDir>/<component>/model.onnx`. */
  componentOnnxPath?: string;
}

export class MergedModelCache {
  private readonly lru: ByteBoundedLru<MergedModel>;
  private readonly inFlight = new Map<string, Promise<MergedModel>>();

  /** `maxBytes`: config `lora.cache_mb` × 2²⁰. Counts each merged model's own bytes (see MergedModel.ownBytes). */
  constructor(maxBytes: number) {
    this.lru = new ByteBoundedLru(maxBytes, (m) => m.ownBytes);
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  get size(): number {
    return this.lru.keys().length;
  }

  async get(request: MergedModelRequest): Promise<MergedModel> {
    const onnxPath = request.componentOnnxPath ?? join(request.modelDir, request.component, 'model.onnx');
    const key = await cacheKey(request, onnxPath);
    const cached = this.lru.get(key);
    if (cached) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const merging = mergeLoras(onnxPath, request.component, request.loras, { strict: request.strict });
    this.inFlight.set(key, merging);
    try {
      const merged = await merging;
      this.lru.set(key, merged);
      return merged;
    } finally {
      this.inFlight.delete(key);
    }
  }
}

async function cacheKey(request: MergedModelRequest, onnxPath: string): Promise<string> {
  const model = await stat(onnxPath).catch(() => undefined);
  const loras = await Promise.all(request.loras.map(async (l) => [(await hashFile(l.file)).sha256, l.weight]));
  return JSON.stringify([resolve(request.modelDir), request.component, model?.size, model?.mtimeMs, request.strict, loras]);
}

/** The merged component for a job with LoRAs, from `cache` when the same merge was done before. */
export function getMergedModel(request: MergedModelRequest, cache: MergedModelCache): Promise<MergedModel> {
  return cache.get(request);
}
