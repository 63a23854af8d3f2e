import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { forgeModel } from '../server/engine/forge/index.ts';

/** Where the bench keeps what it writes (forged tiny model, images); outside the repo. */
export const BENCH_DIR = process.env.IMAGINEER_BENCH_DIR ?? '/tmp/imagineer-bench';

/** Forged models are reused between runs: forging `full` takes ~40 s and 4.3 GB. */
const FULL_CANDIDATES = [process.env.IMAGINEER_FULL_MODEL, '/tmp/imagineer-full', join(process.cwd(), '.tmp/forge/full')];

async function forgedModel(dir: string, preset: 'tiny' | 'full'): Promise<string> {
  if (!existsSync(join(dir, 'forge.json'))) {
    console.error(`forging ${preset} into ${dir}…`);
    await forgeModel({ preset, outDir: dir, seed: 0 });
  }
  return dir;
}

export const tinyModelDir = (): Promise<string> => forgedModel(join(BENCH_DIR, 'tiny'), 'tiny');

export function fullModelDir(): Promise<string> {
  const found = FULL_CANDIDATES.find((dir): dir is string => !!dir && existsSync(join(dir, 'forge.json')));
  return forgedModel(found ?? '/tmp/imagineer-full', 'full');
}

export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
