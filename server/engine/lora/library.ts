/**
 * The LoRA library: the `.safetensors` files of the LoRA folder with what a user needs to pick
 * one (hashes, base model, rank, trigger words, preview). Users name LoRAs, never paths.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { detectBaseModel, type BaseModel } from './base-model.ts';
import { LoraError, type LoraErrorCode } from './errors.ts';
import { hashFile } from './file-hash.ts';
import { groupLayers, type LoraComponent } from './formats.ts';
import { withSafetensors } from './safetensors.ts';

export interface LoraInfo {
  /** File stem: what users and the API call the LoRA. */
  name: string;
  file: string;
  size: number;
  sha256: string;
  /** AUTOMATIC1111 AutoV2 short hash (first 10 hex digits of the sha256). */
  autoV2: string;
  /** AUTOMATIC1111 legacy model hash (8 hex digits). */
  legacyHash: string;
  baseModel: BaseModel;
  /** Why we think so, in words. */
  baseModelReason: string;
  /** The most common rank among the layers. */
  rank?: number;
  modules: LoraComponent[];
  triggerWords: string[];
  /** Absolute path of a sibling preview image. */
  preview?: string;
  /** Set when the file cannot be used; the other fields are best effort. */
  error?: { code: LoraErrorCode; message: string };
}

const EXTENSION = '.safetensors';
const PREVIEW_SUFFIXES = ['.png', '.preview.png', '.jpg', '.jpeg', '.preview.jpg', '.preview.jpeg', '.webp', '.preview.webp'];
const MAX_TAGS = 10;

export async function listLoras(dir: string): Promise<LoraInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const present = new Set(names);
  const files = names.filter((n) => extname(n).toLowerCase() === EXTENSION).sort((a, b) => a.localeCompare(b));
  const infos: LoraInfo[] = [];
  for (const fileName of files) {
    const file = join(dir, fileName);
    if (!(await stat(file)).isFile()) continue;
    infos.push(await describeLora(file, fileName.slice(0, -EXTENSION.length), present));
  }
  return infos;
}

async function describeLora(file: string, name: string, siblings: Set<string>): Promise<LoraInfo> {
  const { size } = await stat(file);
  const hashes = await hashFile(file);
  const previewName = PREVIEW_SUFFIXES.map((s) => name + s).find((n) => siblings.has(n));
  const info: LoraInfo = {
    name,
    file,
    size,
    sha256: hashes.sha256,
    autoV2: hashes.autoV2,
    legacyHash: hashes.legacy,
    baseModel: 'unknown',
    baseModelReason: 'the file could not be read',
    modules: [],
    triggerWords: [],
    preview: previewName ? join(dirname(resolve(file)), previewName) : undefined,
  };
  try {
    await withSafetensors(file, async (st) => {
      info.triggerWords = triggerWords(st.metadata);
      const layout = groupLayers(file, st.tensors);
      const evidence = detectBaseModel(layout, st.metadata);
      info.baseModel = evidence.base;
      info.baseModelReason = evidence.reason;
      info.rank = mostCommon(layout.layers.map((l) => l.rank));
      const modules = new Set<LoraComponent>();
      for (const layer of layout.layers) {
        if (layer.owner === 'unet') modules.add('unet');
        else if (layer.owner === 'text_encoder' || layer.owner === 'text_encoder_2') modules.add('text_encoder');
      }
      info.modules = [...modules].sort();
    });
  } catch (error) {
    if (!(error instanceof LoraError)) throw error;
    info.error = { code: error.code, message: error.message };
  }
  return info;
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, c] of counts) if (best === undefined || c > counts.get(best)!) best = v;
  return best;
}

/** Trigger words the trainer recorded, then the most frequent training tags (kohya `ss_tag_frequency`). */
export function triggerWords(metadata: Record<string, string>): string[] {
  const words: string[] = [];
  const add = (w: string) => {
    const word = w.trim();
    if (word && !words.includes(word)) words.push(word);
  };
  const trained = metadata.ss_trained_words;
  if (trained) {
    try {
      const parsed: unknown = JSON.parse(trained);
      if (Array.isArray(parsed)) parsed.filter((w) => typeof w === 'string').forEach(add);
    } catch {
      trained.split(',').forEach(add);
    }
  }
  metadata['modelspec.trigger_phrase']?.split(',').forEach(add);
  const frequencies = metadata.ss_tag_frequency;
  if (frequencies) {
    const totals = new Map<string, number>();
    try {
      const parsed = JSON.parse(frequencies) as Record<string, Record<string, number>>;
      for (const dataset of Object.values(parsed ?? {})) {
        for (const [tag, count] of Object.entries(dataset ?? {})) {
          if (typeof count === 'number') totals.set(tag.trim(), (totals.get(tag.trim()) ?? 0) + count);
        }
      }
    } catch {
      // A malformed tag table only costs the tags.
    }
    [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_TAGS).forEach(([tag]) => add(tag));
  }
  return words;
}

/**
 * The file of the LoRA called `name` in `dir` (or the first of several folders that has it); names only (a trailing
 * `.safetensors` is allowed), never paths.
 */
export async function resolveLora(dir: string | readonly string[], name: string): Promise<string> {
  if (!name || /[/\\\0]/.test(name) || name === '.' || name.includes('..')) {
    throw new LoraError('BAD_USER_INPUT', `"${name}" is not a LoRA name (names, not paths)`);
  }
  const stem = name.toLowerCase().endsWith(EXTENSION) ? name.slice(0, -EXTENSION.length) : name;
  for (const folder of typeof dir === 'string' ? [dir] : dir) {
    const file = join(folder, stem + EXTENSION);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return file;
  }
  throw new LoraError('NOT_FOUND', `no LoRA named "${name}" in the LoRA folder`);
}
