import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError, modelInvalid, modelMissing } from './errors.ts';
import { OptimizedModelCache, saveOptimizedOptions, type CacheEntry } from './optimized-cache.ts';
import type { ProviderName } from './providers.ts';

export interface SessionSettings {
  provider: ProviderName;
  /**
   * intra-op threads; 0: every logical core (`os.availableParallelism()`); below 0: ONNX Runtime's own default, which
   * counts physical cores and took 1 thread on a 2-vCPU VM where 2 threads made the full UNet step 2.0× faster
   * (3.64 → 1.82 s at 256², bench/results/threads-ab.json).
   */
  threads: number;
  /** Optimised graphs saved between runs; absent: ONNX Runtime optimises at every load. */
  cache?: OptimizedModelCache;
}

type CreateSession = (options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

export interface TensorSpec {
  name: string;
  type: ort.Tensor.Type | 'unknown';
  /** Numbers are fixed sizes, strings symbolic ones; [] for scalars (or an unknown shape). */
  shape: readonly (number | string)[];
}

/** A session with its inputs/outputs described and the time spent inside `run` counted. */
export class ModelSession {
  runMs = 0;
  runCount = 0;

  private constructor(
    readonly file: string,
    readonly session: ort.InferenceSession,
    readonly inputs: TensorSpec[],
    readonly outputs: TensorSpec[],
  ) {}

  static async open(file: string, settings: SessionSettings, modelRoot = dirname(dirname(file))): Promise<ModelSession> {
    const shown = relative(modelRoot, file) || basename(file);
    if (!existsSync(file)) throw modelMissing(file, `missing (${shown} is needed to run the model)`);
    if (statSync(file).size === 0) throw modelInvalid(file, 'empty file');
    const cacheKey = settings.cache?.key(settings.provider, ['file', ...OptimizedModelCache.fileIdentity(file)]);
    return ModelSession.build(file, settings, cacheKey, (options) => ort.InferenceSession.create(file, options));
  }

  /**
   * A session from model bytes held in memory (e.g. weights patched with LoRAs), its external weight files supplied
   * as buffers. `file` names the model in errors and logs; `cacheKey` (from `settings.cache.key`) saves the optimised
   * graph, with `cacheExtra` kept beside it for `fromCache`.
   */
  static async fromBytes(
    file: string,
    modelBytes: Uint8Array,
    settings: SessionSettings,
    externalData?: ort.InferenceSession.SessionOptions['externalData'],
    cacheKey?: string,
    cacheExtra?: unknown,
  ): Promise<ModelSession> {
    return ModelSession.build(
      file,
      settings,
      cacheKey,
      (options) => ort.InferenceSession.create(modelBytes, { ...options, ...(externalData ? { externalData } : {}) }),
      cacheExtra,
    );
  }

  /** The session saved under `key` (opened without optimising again) and what was stored with it, if any. */
  static async fromCache<Extra>(file: string, settings: SessionSettings, key: string): Promise<{ session: ModelSession; entry: CacheEntry<Extra> } | undefined> {
    const cache = settings.cache;
    const found = await cache?.find<Extra>(key);
    if (!cache || !found) return undefined;
    try {
      const session = await ort.InferenceSession.create(found.modelFile, { ...sessionOptions(settings), graphOptimizationLevel: 'disabled' });
      return { session: ModelSession.describe(file, session), entry: found.entry };
    } catch (error) {
      // Damaged files or an ONNX Runtime that reads them differently: optimise from the source again.
      cache.log(`saved optimised graph for ${basename(file)} would not open (${firstLine(error)}); optimising it again`);
      await cache.remove(key);
      return undefined;
    }
  }

  private static async build(file: string, settings: SessionSettings, cacheKey: string | undefined, create: CreateSession, cacheExtra?: unknown): Promise<ModelSession> {
    const { cache } = settings;
    if (cache && cacheKey) {
      const cached = await ModelSession.fromCache(file, settings, cacheKey);
      if (cached) return cached.session;
    }
    const options = sessionOptions(settings);
    if (cache && cacheKey) {
      try {
        return ModelSession.describe(file, await cache.store(cacheKey, file, (saveTo) => create({ ...options, ...saveOptimizedOptions(saveTo) }), cacheExtra));
      } catch (error) {
        // Saving can fail where loading does not (a provider that cannot serialise its graph): load without saving.
        cache.log(`${basename(file)}: could not be loaded with its optimised graph saved (${firstLine(error)}); loading it without`);
      }
    }
    try {
      return ModelSession.describe(file, await create(options));
    } catch (error) {
      throw explainLoadError(file, error);
    }
  }

  private static describe(file: string, session: ort.InferenceSession): ModelSession {
    return new ModelSession(file, session, describe(session.inputMetadata), describe(session.outputMetadata));
  }

  input(name: string): TensorSpec | undefined {
    return this.inputs.find((spec) => spec.name === name);
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const started = performance.now();
    try {
      return await this.session.run(feeds);
    } finally {
      this.runMs += performance.now() - started;
      this.runCount++;
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function sessionOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [settings.provider],
    graphOptimizationLevel: 'all',
    // Memory patterns are planned per input shape over two runs; with image sizes changing between jobs that
    // made the first two steps at each new size ~10× slower than the rest (measured on the tiny UNet at 512²).
    enableMemPattern: false,
    // Load failures come back as exceptions that the caller explains (MODEL_INVALID, provider fallback): no raw ORT print.
    logSeverityLevel: 4,
    ...(settings.threads >= 0 ? { intraOpNumThreads: settings.threads > 0 ? settings.threads : availableParallelism() } : {}),
  };
}

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((value) =>
    value.isTensor ? { name: value.name, type: value.type, shape: value.shape } : { name: value.name, type: 'unknown', shape: [] },
  );
}

/** Turns ONNX Runtime's load error into a MODEL_MISSING (an external weights file is absent) or MODEL_INVALID one. */
function explainLoadError(file: string, error: unknown): ModelError {
  const explained = describeLoadError(file, error);
  explained.cause = error;
  return explained;
}

function describeLoadError(file: string, error: unknown): ModelError {
  const message = error instanceof Error ? error.message : String(error);
  const folder = dirname(file);
  for (const weights of ['weights.pb', 'model.onnx_data', `${basename(file)}_data`]) {
    if (message.includes(weights) && !existsSync(join(folder, weights))) {
      return modelMissing(join(folder, weights), `missing (the external weights of ${basename(file)})`);
    }
  }
  const firstLine = message.split('\n')[0].replace(/^\[[^\]]*\]\s*/, '');
  if (/protobuf|parse|invalid|corrupt|ModelProto/i.test(message)) {
    return modelInvalid(file, `not a readable ONNX model, truncated or corrupt (${firstLine})`);
  }
  if (/external data|offset|length|out of bounds|size/i.test(message)) {
    return modelInvalid(file, `its external weights are truncated or do not match the model (${firstLine})`);
  }
  return modelInvalid(file, `ONNX Runtime cannot load it (${firstLine})`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
