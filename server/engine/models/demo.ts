import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { modelMissing } from './errors.ts';
import { MODEL_FILES } from './model-folder.ts';

export const DEMO_MODEL_NAME = 'demo';
/** Fixed so every installation's demo model, and so every seed's demo image, is the same. */
export const DEMO_FORGE_SEED = 20260101;

export const DEMO_NOTICE = [
  'Using the DEMO model: a tiny SD1.5-shaped network with random weights. Its images are colour noise, not pictures.',
  'For real images, set model.default in config.yaml to the folder of an SD1.5 ONNX export (diffusers or optimum layout),',
  'or fetch one with `imagineer models pull <repo>`.',
].join('\n');

export interface ResolvedModel {
  dir: string;
  isDemo: boolean;
}

/** `model.default` (or `--model`): `demo` → the forged demo model under the data directory; anything else is a folder. */
export function resolveModelDir(reference: string, dataDir: string): ResolvedModel {
  if (reference === DEMO_MODEL_NAME || reference === '') return { dir: join(dataDir, 'models', DEMO_MODEL_NAME), isDemo: true };
  if (!existsSync(reference) && /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(reference)) {
    throw modelMissing(reference, `the hub model ${reference} is not downloaded yet: run \`imagineer models pull ${reference}\``);
  }
  if (!existsSync(reference)) {
    throw modelMissing(
      reference,
      'model folder does not exist (set model.default to an SD1.5 ONNX export folder, fetch one with `imagineer models pull <repo>`, or use "demo")',
    );
  }
  return { dir: reference, isDemo: false };
}

/** Forges the tiny demo model on first use; later calls find it in place. Returns true when it was just forged. */
export async function ensureDemoModel(dir: string): Promise<boolean> {
  if (Object.values(MODEL_FILES).every((file) => existsSync(join(dir, file)))) return false;
  const { forgeModel } = await import('../forge/index.ts');
  const staging = join(dirname(dir), `.${DEMO_MODEL_NAME}-${process.pid}-${Date.now()}`);
  try {
    await forgeModel({ preset: 'tiny', outDir: staging, seed: DEMO_FORGE_SEED });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process may have forged it at the same time.
    if (Object.values(MODEL_FILES).every((file) => existsSync(join(dir, file)))) return false;
    throw error;
  }
  return true;
}

/**
 * The demo model's own LoRA folder, `<demo>/loras`: the fast-draft preset's LCM-LoRA is forged here to match the
 * demo model, so a user's `lora.directory` never receives a random-weight file posing as the real one.
 */
export function demoLoraDir(demoDir: string): string {
  return join(demoDir, 'loras');
}

/** Forges `<demo>/loras/<name>.safetensors` (an LCM-LoRA for the tiny demo architecture) when missing; returns its path. */
export async function ensureDemoLcmLora(demoDir: string, name: string): Promise<string> {
  const file = join(demoLoraDir(demoDir), `${name}.safetensors`);
  if (existsSync(file)) return file;
  const { forgeLcmLora } = await import('../forge/lcm-lora.ts');
  forgeLcmLora(file, { architecture: 'tiny', seed: DEMO_FORGE_SEED });
  return file;
}
