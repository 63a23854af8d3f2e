import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgeModel, type ForgeOptions } from '../../server/engine/forge/index.ts';
import { loadModel, type LoadedModel } from '../../server/engine/models/index.ts';
import { txt2img, validateTxt2Img, type Txt2ImgParams, type Txt2ImgResult } from '../../server/engine/pipeline.ts';

/** Seed of every forged test model, so all tests see the same weights. */
export const FORGE_SEED = 11;

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `imagineer-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function forge(root: string, name: string, options: Omit<ForgeOptions, 'outDir'>): Promise<string> {
  const outDir = join(root, name);
  await forgeModel({ seed: FORGE_SEED, ...options, outDir });
  return outDir;
}

export function openModel(dir: string): Promise<LoadedModel> {
  return loadModel(dir, { device: 'cpu', threads: 1 });
}

export const smallRequest: Txt2ImgParams = {
  prompt: 'a lighthouse on a cliff',
  negativePrompt: 'fog',
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 7.5,
  scheduler: 'dpmpp_2m',
  seed: '1234',
};

export function generate(model: LoadedModel, params: Partial<Txt2ImgParams> = {}, options: Parameters<typeof txt2img>[2] = {}): Promise<Txt2ImgResult> {
  return txt2img(model, validateTxt2Img({ ...smallRequest, ...params }), options);
}

export function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export function maxAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
