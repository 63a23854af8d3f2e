import type { Config } from '../config/index.ts';
import { tinyDecoderOption } from '../engine/models/tiny-decoder-setting.ts';
import type { EngineOptions } from './protocol.ts';

/** The engine settings `serve` and `generate` both take from config.yaml; callers override the model or LoRA folder. */
export function engineOptionsFromConfig(config: Config, overrides: Partial<EngineOptions> = {}): EngineOptions {
  return {
    modelDir: config.model.default,
    device: config.hardware.device,
    threads: config.hardware.threads,
    maxPixels: config.generation.max_pixels,
    dataDir: config.server.data_dir,
    loraDir: config.lora.directory,
    fastDraftLora: config.generation.fast_draft.lora,
    loraStrict: config.lora.strict,
    loraCacheMb: config.lora.cache_mb,
    tinyDecoder: tinyDecoderOption(config.model.tiny_decoder, config.model.cache_dir),
    optimizedCacheGb: config.hardware.optimized_cache_gb,
    ...(config.hardware.warmup ? { warmup: { width: config.generation.width, height: config.generation.height } } : {}),
    ...overrides,
  };
}
