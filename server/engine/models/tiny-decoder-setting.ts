/** `model.tiny_decoder` (auto | none | a file or folder) → the TAESD decoder the engine opens, if any. */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_FORGE_SEED } from './demo.ts';

export const TINY_DECODER_AUTO = 'auto';
export const TINY_DECODER_NONE = 'none';
/** `auto` looks for this folder under model.cache_dir (and the demo model keeps its forged one under this name). */
export const TINY_DECODER_FOLDER = 'taesd';

/**
 * For the engine options: `auto` becomes `<cache_dir>/taesd` when that folder exists (a real TAESD is for real
 * models, and the demo model can use it too); otherwise it stays `auto`, which the engine resolves per model.
 */
export function tinyDecoderOption(setting: string, cacheDir: string): string {
  if (setting !== TINY_DECODER_AUTO) return setting;
  const candidate = join(cacheDir, TINY_DECODER_FOLDER);
  return existsSync(candidate) ? candidate : TINY_DECODER_AUTO;
}

/**
 * The path to open for this model, or undefined (logged). An unresolved `auto` means: the demo model gets its own
 * forged TAESD (so `decoder: tiny` works out of the box), a real model has none.
 */
export async function tinyDecoderPath(option: string | undefined, model: { dir: string; isDemo: boolean }, log: (line: string) => void): Promise<string | undefined> {
  if (option === TINY_DECODER_NONE) return undefined;
  if (option !== undefined && option !== TINY_DECODER_AUTO) return option;
  if (model.isDemo) {
    try {
      return await ensureDemoTinyDecoder(model.dir);
    } catch (error) {
      log(`tiny decoder not forged for the demo model: ${(error as Error).message}. Jobs with decoder: tiny will be refused.`);
      return undefined;
    }
  }
  log(
    `no tiny decoder (model.tiny_decoder: auto found no ${TINY_DECODER_FOLDER} folder under model.cache_dir): jobs with decoder: tiny will be refused. ` +
      'Put a TAESD ONNX export there (README, "Tiny decoder") for fast drafts and sharper previews.',
  );
  return undefined;
}

/** Forges the demo model's TAESD into `<demo>/taesd` on first use (same seed as the demo model). */
export async function ensureDemoTinyDecoder(demoDir: string): Promise<string> {
  const dir = join(demoDir, TINY_DECODER_FOLDER);
  if (existsSync(join(dir, 'forge.json'))) return dir;
  const { forgeTaesd } = await import('../forge/taesd.ts');
  const staging = join(demoDir, `.${TINY_DECODER_FOLDER}-${process.pid}-${Date.now()}`);
  try {
    forgeTaesd({ outDir: staging, seed: DEMO_FORGE_SEED });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process may have forged it at the same time.
    if (!existsSync(join(dir, 'forge.json'))) throw error;
  }
  return dir;
}
