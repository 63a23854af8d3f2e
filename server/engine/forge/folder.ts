/** The non-ONNX parts of a model folder: model_index.json, tokenizer/ and scheduler/ from the SD1.5 reference. */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NoiseScheduleConfig } from './noise-schedule.ts';

export const REFERENCE_DIR = fileURLToPath(new URL('../reference-sd15/', import.meta.url));

export function readReferenceSchedulerConfig(): NoiseScheduleConfig {
  return JSON.parse(readFileSync(join(REFERENCE_DIR, 'scheduler', 'scheduler_config.json'), 'utf8')) as NoiseScheduleConfig;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeFolderSkeleton(outDir: string): void {
  const modelIndex = JSON.parse(readFileSync(join(REFERENCE_DIR, 'model_index.onnx-pipeline.json'), 'utf8')) as Record<string, unknown>;
  // A forged folder has no safety checker or feature extractor, as an optimum export without them.
  writeJson(join(outDir, 'model_index.json'), {
    ...modelIndex,
    feature_extractor: [null, null],
    safety_checker: [null, null],
    requires_safety_checker: false,
  });
  for (const sub of ['scheduler', 'tokenizer']) {
    mkdirSync(join(outDir, sub), { recursive: true });
    // Copied by content: the reference files may be read-only, and a forged folder is rewritten in place.
    for (const file of readdirSync(join(REFERENCE_DIR, sub))) writeFileSync(join(outDir, sub, file), readFileSync(join(REFERENCE_DIR, sub, file)));
  }
}

export { writeJson };
