/**
 * ONNX Runtime's optimised graphs, saved on disk so a later start skips optimising (full SD1.5 UNet on CPU: session
 * creation 52 s at level `all` against 8 s for the saved graph opened at level `disabled`, measured in
 * bench/results/sessions-fresh-vs-cached.json). Level `all` lays weights out for this CPU and provider (NCHWc block
 * size follows the SIMD width), so the key holds the ORT version, the provider and the CPU along with the source.
 *
 * Layout: `<dir>/<key>/{model.onnx, model.weights, entry.json}`. An entry is written into a `.partial-*` folder and
 * renamed when complete, so a crash mid-write never leaves an entry that looks whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

export const OPTIMIZED_MODEL_FILE = 'model.onnx';
const WEIGHTS_FILE = 'model.weights';
const ENTRY_FILE = 'entry.json';

export interface CacheEntry<Extra = unknown> {
  /** What was optimised, for people reading the folder. */
  source: string;
  createdAt: string;
  bytes: number;
  /** Whatever the caller needs back on a hit (e.g. a LoRA merge report). */
  extra?: Extra;
}

/** Session options that make ONNX Runtime save the graph it optimised, weights over 1 KiB in a side file. */
export function saveOptimizedOptions(modelFile: string): ort.InferenceSession.SessionOptions {
  return {
    optimizedModelFilePath: modelFile,
    extra: {
      session: {
        // Relative to the optimised model; ORT cannot put a 3.4 GB UNet into one protobuf (2 GB limit).
        optimized_model_external_initializers_file_name: WEIGHTS_FILE,
        optimized_model_external_initializers_min_size_in_bytes: '1024',
      },
    },
  };
}

export class OptimizedModelCache {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** Where the cache says what it saved, dropped or could not use. */
    readonly log: (line: string) => void = () => {},
  ) {}

  /** A key for a model file on disk: its path, size and modification time (and those of its weight files). */
  static fileIdentity(file: string): string[] {
    const parts: string[] = [];
    const folder = dirname(file);
    for (const name of [file, join(folder, 'weights.pb'), join(folder, 'model.onnx_data'), `${file}_data`]) {
      if (!existsSync(name)) continue;
      const info = statSync(name);
      parts.push(`${name}:${info.size}:${Math.round(info.mtimeMs)}`);
    }
    return parts;
  }

  key(provider: string, parts: readonly unknown[]): string {
    const machine = [ort.env.versions.common, provider, cpus()[0]?.model ?? 'cpu', process.arch];
    return createHash('sha256').update(JSON.stringify([machine, parts])).digest('hex').slice(0, 32);
  }

  /** The saved model for a key, or undefined. */
  async find<Extra>(key: string): Promise<{ modelFile: string; entry: CacheEntry<Extra> } | undefined> {
    const folder = join(this.dir, key);
    try {
      const entry = JSON.parse(await readFile(join(folder, ENTRY_FILE), 'utf8')) as CacheEntry<Extra>;
      const now = new Date();
      // The entry's mtime is its last use: eviction drops the least recently used first.
      await utimes(join(folder, ENTRY_FILE), now, now).catch(() => {});
      return { modelFile: join(folder, OPTIMIZED_MODEL_FILE), entry };
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `build` with a path to save the optimised model to; keeps the result under `key` when ORT wrote it.
   * A failure to save (disk full…) is logged and the session is still returned: the cache only ever saves time.
   */
  async store<T, Extra>(key: string, source: string, build: (saveTo: string) => Promise<T>, extra?: Extra): Promise<T> {
    const partial = join(this.dir, `.partial-${key}-${process.pid}-${Date.now()}`);
    await mkdir(partial, { recursive: true });
    let result: T;
    try {
      result = await build(join(partial, OPTIMIZED_MODEL_FILE));
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
    try {
      if (!existsSync(join(partial, OPTIMIZED_MODEL_FILE))) throw new Error('ONNX Runtime wrote no optimised model');
      const bytes = folderBytes(partial);
      const entry: CacheEntry<Extra> = { source, createdAt: new Date().toISOString(), bytes, ...(extra === undefined ? {} : { extra }) };
      await writeFile(join(partial, ENTRY_FILE), JSON.stringify(entry, null, 2));
      await rm(join(this.dir, key), { recursive: true, force: true });
      await rename(partial, join(this.dir, key));
      this.log(`optimised model saved for next time (${Math.round(bytes / 2 ** 20)} MiB in ${join(this.dir, key)})`);
      await this.evict(key);
    } catch (error) {
      this.log(`optimised model not saved: ${(error as Error).message}`);
      await rm(partial, { recursive: true, force: true });
    }
    return result;
  }

  /** Drops an entry that would not open (ORT upgraded in place, files damaged). */
  async remove(key: string): Promise<void> {
    await rm(join(this.dir, key), { recursive: true, force: true });
  }

  /** Least recently used entries go until the cache fits `maxBytes`; the entry just written stays. */
  private async evict(keep: string): Promise<void> {
    const entries = await Promise.all(
      readdirSync(this.dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map(async (d) => {
          const folder = join(this.dir, d.name);
          const used = await stat(join(folder, ENTRY_FILE)).then((s) => s.mtimeMs).catch(() => 0);
          return { key: d.name, used, bytes: folderBytes(folder) };
        }),
    );
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    for (const entry of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      if (entry.key === keep) continue;
      await this.remove(entry.key);
      total -= entry.bytes;
      this.log(`optimised model cache: removed ${entry.key} (${Math.round(entry.bytes / 2 ** 20)} MiB) to stay under ${Math.round(this.maxBytes / 2 ** 30)} GiB`);
    }
  }
}

function folderBytes(folder: string): number {
  return readdirSync(folder).reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
}
