import { basename, dirname } from 'node:path';
import { a1111Parameters, buildSidecar, encodePng, writeFileAtomic, writeSidecar, type PngText } from '../engine/image/index.ts';
import type { LoadedModel } from '../engine/models/index.ts';
import { checkDecoderAvailable, summarizeTimings, txt2img, validateTxt2Img, ValidationError, type StepProgress } from '../engine/pipeline.ts';
import type { LoraModel, LoraSessions } from './lora-sessions.ts';
import type { GenerateRequest, GenerateResult } from './protocol.ts';

export interface JobContext {
  model: LoadedModel;
  /** Recorded in the sidecar as the model's name. */
  modelName: string;
  maxPixels?: number;
  signal?: AbortSignal;
  onStep?: (progress: StepProgress) => void;
  previewIntervalMs?: number;
  log?: (line: string) => void;
  /** Merged models for jobs with LoRAs; absent: such jobs are refused (field `loras`). */
  loraSessions?: LoraSessions;
}

/** One image: validate, run the pipeline, write the PNG (temp name, then rename) and its sidecar. */
export async function runGenerateJob(request: GenerateRequest, context: JobContext): Promise<GenerateResult> {
  if (!/\.png$/i.test(request.outputPath)) throw new ValidationError('outputPath', `outputPath must end in .png, got ${request.outputPath}`);
  const settings = validateTxt2Img(request, { maxPixels: context.maxPixels });
  // Before any LoRA is merged: a refused job should cost nothing.
  checkDecoderAvailable(context.model, settings);
  const { model, loras } = await modelWithLoras(request.loras ?? [], context);
  const warnings = loras.flatMap((l) => l.warnings);
  for (const warning of warnings) context.log?.(`warning: ${warning}`);
  const result = await txt2img(model, settings, {
    signal: context.signal,
    onProgress: context.onStep,
    previewIntervalMs: context.previewIntervalMs,
    log: context.log,
  });
  const writeStarted = performance.now();
  const timings = summarizeTimings(result.timings);
  const sidecar = buildSidecar(
    {
      prompt: settings.prompt,
      negativePrompt: settings.negativePrompt,
      seed: settings.seed,
      rng: settings.rng,
      steps: settings.steps,
      scheduler: settings.scheduler,
      guidanceScale: settings.guidanceScale,
      width: settings.width,
      height: settings.height,
      model: context.modelName,
      decoder: settings.decoder,
      loras: loras.map(({ name, weight, sha256, shortHash, matched, total }) => ({ name, weight, hash: shortHash, sha256, shortHash, matched, total })),
      timings,
    },
    request.extraMetadata,
  );
  // `imagineer`: the whole sidecar, so the PNG alone is enough to make the image again (imagineer info reads it).
  const text: PngText = { parameters: a1111Parameters(sidecar) };
  if (request.saveMetadata !== false) text.imagineer = JSON.stringify(sidecar);
  const png = await encodePng(result.image, text);
  let sidecarPath = '';
  try {
    await writeFileAtomic(request.outputPath, png);
    if (request.saveMetadata !== false) sidecarPath = await writeSidecar(request.outputPath, sidecar);
  } catch (error) {
    throw outputWriteFailed(request.outputPath, error);
  }
  timings.writeMs = Math.round((performance.now() - writeStarted) * 10) / 10;
  return {
    imagePath: request.outputPath,
    sidecarPath,
    seed: String(settings.seed),
    width: settings.width,
    height: settings.height,
    timings,
    loras,
    warnings,
  };
}

async function modelWithLoras(choices: { name: string; weight: number }[], context: JobContext): Promise<LoraModel> {
  if (choices.length === 0) return { model: context.model, loras: [] };
  choices.forEach((choice, i) => {
    if (typeof choice.name !== 'string' || choice.name === '') throw new ValidationError(`loras.${i}.name`, 'a LoRA needs a name');
    if (typeof choice.weight !== 'number' || !Number.isFinite(choice.weight)) {
      throw new ValidationError(`loras.${i}.weight`, `LoRA ${choice.name}: weight must be a finite number`);
    }
  });
  if (!context.loraSessions) throw new ValidationError('loras', 'this engine was started without a LoRA folder');
  return context.loraSessions.modelFor(choices);
}

export function modelNameOf(dir: string, isDemo: boolean): string {
  return isDemo ? 'demo' : basename(dir);
}

/** A full disk or an unwritable output folder fails the job with words a user can act on (and no absolute path). */
function outputWriteFailed(outputPath: string, error: unknown): Error {
  const cause = error as NodeJS.ErrnoException;
  const where = `${basename(dirname(outputPath))}/${basename(outputPath)}`;
  const reason = { ENOSPC: 'the disk is full', EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'the file system is read-only', ENOTDIR: 'a path component is a file, not a folder', EEXIST: 'a file stands where the folder should be' }[cause.code ?? ''] ?? cause.message;
  return Object.assign(new Error(`could not write ${where}: ${reason} (${cause.code ?? 'error'}); check the output folder (output.directory)`), { code: 'OUTPUT_WRITE_FAILED' });
}
