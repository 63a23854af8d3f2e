/**
 * Per-job models with LoRAs merged in: the UNet and text encoder rebuilt from `mergeLoras` output, cached per
 * (model, strict, [(LoRA sha256, weight)…]) within a byte bound. Sessions are cached rather than merged bytes: on
 * CPU, building the UNet session costs more than the merge, and ONNX Runtime keeps its own copy of the weights.
 * Jobs without LoRAs (or whose LoRAs all weigh 0) get the base model, untouched.
 */
import { basename, join } from 'node:path';
import { ByteBoundedLru, hashFile, mergeLoras, resolveLora, type LoraReport, type MergedModel } from '../engine/lora/index.ts';
import { readOptimizeManifest } from '../engine/optimize/index.ts';
import { ValidationError } from '../engine/pipeline.ts';
import { MODEL_FILES, ModelSession, OptimizedModelCache, TextEncoderModel, UnetModel, type LoadedModel, type SessionSettings } from '../engine/models/index.ts';

export interface LoraChoice {
  name: string;
  weight: number;
}

/** What the job's sidecar and result say about one LoRA. */
export interface AppliedLora {
  name: string;
  weight: number;
  sha256: string;
  /** AUTOMATIC1111 AutoV2 hash (10 hex digits), as in `Lora hashes`. */
  shortHash: string;
  /** Layers matched over layers meant for the model, UNet and text encoder together. */
  matched: number;
  total: number;
  /** Up to 10 keys that matched nothing. */
  unmatchedKeys: string[];
  warnings: string[];
}

export interface LoraSessionOptions {
  /** Several folders: searched in order (the demo model's own LoRA folder comes first). */
  directory: string | readonly string[];
  strict: boolean;
  /** lora.cache_mb. */
  cacheMb: number;
  log?: (line: string) => void;
}

interface MergedSessions {
  unet: UnetModel;
  /** Undefined when no LoRA touches the text encoder: the base one is used. */
  textEncoder: TextEncoderModel | undefined;
  reports: { unet: LoraReport[]; textEncoder: LoraReport[] };
  bytes: number;
}

/** Kept with a merged UNet in the optimised-model cache, so a hit needs no merge at all. */
interface CachedMergeReports {
  reports: { unet: LoraReport[]; textEncoder: LoraReport[] };
  /** False when no LoRA touches the text encoder (no merged text encoder was saved). */
  textEncoderMerged: boolean;
}

export interface LoraModel {
  model: LoadedModel;
  loras: AppliedLora[];
}

interface ActiveLora extends LoraChoice {
  file: string;
  hashes: { sha256: string; autoV2: string };
}

export class LoraSessions {
  /** Merges done (cache misses); a test reads it to see that a repeated job came from the cache. */
  merges = 0;
  private readonly cache: ByteBoundedLru<MergedSessions>;
  private readonly log: (line: string) => void;
  /** Set when the base model is int8: every job with an active LoRA is refused with it. */
  private readonly quantized: ValidationError | undefined;

  constructor(
    private readonly base: LoadedModel,
    private readonly settings: SessionSettings,
    private readonly options: LoraSessionOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.quantized = quantizedRefusal(base.dir);
    this.cache = new ByteBoundedLru(options.cacheMb * 2 ** 20, (s) => s.bytes, (_key, evicted) => void disposeSessions(evicted));
  }

  /** The model to run a job with these LoRAs on; names are resolved in the LoRA folder (names, never paths). */
  async modelFor(choices: readonly LoraChoice[]): Promise<LoraModel> {
    const resolved = await Promise.all(
      choices.map(async (choice) => {
        const file = await resolveLora(this.options.directory, choice.name);
        return { ...choice, file, hashes: await hashFile(file) };
      }),
    );
    const active = resolved.filter((l) => l.weight !== 0);
    if (active.length === 0) {
      return { model: this.base, loras: resolved.map((l) => applied(l, l.hashes, [])) };
    }
    if (this.quantized) throw this.quantized;
    const key = JSON.stringify([this.base.dir, this.options.strict, active.map((l) => [l.hashes.sha256, l.weight])]);
    const label = active.map((l) => `${l.name}:${l.weight}`).join(', ');
    let sessions = this.cache.get(key);
    if (sessions) {
      this.log(`lora: merged model for ${label} reused from the cache`);
    } else {
      sessions = (await this.fromDiskCache(active)) ?? (await this.merge(active));
      this.cache.set(key, sessions);
    }
    const { unet, textEncoder, reports } = sessions;
    const model: LoadedModel = { ...this.base, unet, textEncoder: textEncoder ?? this.base.textEncoder };
    const loras = resolved.map((l) => applied(l, l.hashes, [...reports.unet, ...reports.textEncoder].filter((r) => r.name === l.name && l.weight !== 0)));
    return { model, loras };
  }

  async dispose(): Promise<void> {
    for (const key of this.cache.keys()) {
      const sessions = this.cache.get(key);
      this.cache.delete(key);
      if (sessions) await disposeSessions(sessions);
    }
  }

  /** Cache keys for the merged components: the base files, strictness and each LoRA's content hash and weight. */
  private cacheKey(component: 'unet' | 'text_encoder', loras: readonly ActiveLora[]): string | undefined {
    const file = join(this.base.dir, component === 'unet' ? MODEL_FILES.unet : MODEL_FILES.textEncoder);
    const parts = ['lora', component, ...OptimizedModelCache.fileIdentity(file), this.options.strict, loras.map((l) => [l.hashes.sha256, l.weight])];
    return this.settings.cache?.key(this.settings.provider, parts);
  }

  /** Merged sessions saved by an earlier merge of the same set: opened as they are, without merging again. */
  private async fromDiskCache(loras: readonly ActiveLora[]): Promise<MergedSessions | undefined> {
    const unetKey = this.cacheKey('unet', loras);
    const textKey = this.cacheKey('text_encoder', loras);
    if (!unetKey || !textKey) return undefined;
    const started = performance.now();
    const unetFile = join(this.base.dir, MODEL_FILES.unet);
    const unetHit = await ModelSession.fromCache<CachedMergeReports>(unetFile, this.settings, unetKey);
    const extra = unetHit?.entry.extra;
    if (!unetHit || !extra) {
      await unetHit?.session.dispose();
      return undefined;
    }
    let textEncoder: TextEncoderModel | undefined;
    let bytes = unetHit.entry.bytes;
    if (extra.textEncoderMerged) {
      const textHit = await ModelSession.fromCache(join(this.base.dir, MODEL_FILES.textEncoder), this.settings, textKey);
      if (!textHit) {
        await unetHit.session.dispose();
        return undefined;
      }
      textEncoder = await TextEncoderModel.create(textHit.session);
      bytes += textHit.entry.bytes;
    }
    this.log(`lora: merged model for ${loras.map((l) => `${l.name}:${l.weight}`).join(', ')} opened from the optimised-model cache in ${Math.round(performance.now() - started)} ms`);
    return { unet: UnetModel.create(unetHit.session, this.base.unet.latentMultiple), textEncoder, reports: extra.reports, bytes };
  }

  private async merge(loras: readonly ActiveLora[]): Promise<MergedSessions> {
    const started = performance.now();
    const requests = loras.map(({ name, file, weight }) => ({ name, file, weight }));
    const strict = { strict: this.options.strict };
    const unetFile = join(this.base.dir, MODEL_FILES.unet);
    const textFile = join(this.base.dir, MODEL_FILES.textEncoder);
    // The UNet first: an incompatible LoRA is refused there before the text encoder is touched.
    let merged: MergedModel | undefined = await mergeLoras(unetFile, 'unet', requests, strict);
    const unetReports = merged.reports;
    let bytes = modelSize(merged);
    const mergedMs = performance.now() - started;
    // The text encoder is merged before the UNet session is built so that the UNet's cache entry can record both reports.
    const text = await mergeLoras(textFile, 'text_encoder', requests, strict);
    const textEncoderMerged = text.reports.some((r) => r.matched > 0);
    const reports = { unet: unetReports, textEncoder: text.reports };
    const cacheExtra: CachedMergeReports = { reports, textEncoderMerged };
    const unetSession = await ModelSession.fromBytes(unetFile, merged.modelBytes, this.settings, merged.externalData, this.cacheKey('unet', loras), cacheExtra);
    merged = undefined;
    let textSession: ModelSession | undefined;
    try {
      const unet = UnetModel.create(unetSession, this.base.unet.latentMultiple);
      let textEncoder: TextEncoderModel | undefined;
      if (textEncoderMerged) {
        bytes += modelSize(text);
        textSession = await ModelSession.fromBytes(textFile, text.modelBytes, this.settings, text.externalData, this.cacheKey('text_encoder', loras));
        textEncoder = await TextEncoderModel.create(textSession);
      }
      this.merges++;
      const totalMs = performance.now() - started;
      this.log(
        `lora: merged ${loras.map((l) => `${l.name}:${l.weight}`).join(', ')} into ${basename(this.base.dir)} in ${Math.round(totalMs)} ms ` +
          `(UNet merge ${Math.round(mergedMs)} ms; ${Math.round(bytes / 2 ** 20)} MiB cached)`,
      );
      return { unet, textEncoder, reports, bytes };
    } catch (error) {
      await unetSession.dispose();
      await textSession?.dispose();
      throw error;
    }
  }
}

/**
 * `models optimize --int8` turns the weight MatMuls into DynamicQuantizeMatMul over int8 weights: a LoRA's layers
 * no longer exist there to be patched, so such a job is refused up front rather than run with every key unmatched.
 */
function quantizedRefusal(modelDir: string): ValidationError | undefined {
  let method: string | undefined;
  try {
    method = readOptimizeManifest(modelDir)?.method;
  } catch {
    return undefined; // an unreadable record says nothing about the weights; the merge reports what it finds
  }
  if (method !== 'int8') return undefined;
  return new ValidationError(
    'loras',
    `LoRAs cannot be merged into ${basename(modelDir)}: it is an int8 model (imagineer models optimize --int8) whose weight layers are quantised; ` +
      'use the fp32 or fp16 model for jobs with LoRAs (the fast draft preset included)',
  );
}

/** Bytes ONNX Runtime loads for a merged component: the model and all its weights, patched or not. */
function modelSize(merged: MergedModel): number {
  return merged.modelBytes.byteLength + (merged.externalData ?? []).reduce((sum, d) => sum + d.data.byteLength, 0);
}

async function disposeSessions(sessions: MergedSessions): Promise<void> {
  await sessions.unet.session.dispose();
  await sessions.textEncoder?.session.dispose();
}

function applied(choice: LoraChoice, hashes: { sha256: string; autoV2: string }, reports: LoraReport[]): AppliedLora {
  return {
    name: choice.name,
    weight: choice.weight,
    sha256: hashes.sha256,
    shortHash: hashes.autoV2,
    matched: reports.reduce((n, r) => n + r.matched, 0),
    total: reports.reduce((n, r) => n + r.total, 0),
    unmatchedKeys: [...new Set(reports.flatMap((r) => r.unmatchedKeys))].slice(0, 10),
    warnings: reports.flatMap((r) => r.warnings),
  };
}
