import { basename } from 'node:path';
import { a1111Parameters, buildSidecar, encodePng, writeFileAtomic, writeSidecar } from '../engine/image/index.ts';
import type { LoadedModel } from '../engine/models/index.ts';
import { summarizeTimings, txt2img, validateTxt2Img, ValidationError, type StepProgress } from '../engine/pipeline.ts';
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
}

/** One image: validate, run the pipeline, write the PNG (temp name, then rename) and its sidecar. */
export async function runGenerateJob(request: GenerateRequest, context: JobContext): Promise<GenerateResult> {
  if (!/\.png$/i.test(request.outputPath)) throw new ValidationError('outputPath', `outputPath must end in .png, got ${request.outputPath}`);
  if (request.loras && request.loras.length > 0) {
    throw new ValidationError('loras', 'LoRAs are not supported by this engine yet');
  }
  const settings = validateTxt2Img(request, { maxPixels: context.maxPixels });
  const result = await txt2img(context.model, settings, {
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
      loras: [],
      timings,
    },
    request.extraMetadata,
  );
  const png = await encodePng(result.image, { parameters: a1111Parameters(sidecar) });
  await writeFileAtomic(request.outputPath, png);
  const sidecarPath = request.saveMetadata === false ? '' : await writeSidecar(request.outputPath, sidecar);
  timings.writeMs = Math.round((performance.now() - writeStarted) * 10) / 10;
  return {
    imagePath: request.outputPath,
    sidecarPath,
    seed: String(settings.seed),
    width: settings.width,
    height: settings.height,
    timings,
  };
}

export function modelNameOf(dir: string, isDemo: boolean): string {
  return isDemo ? 'demo' : basename(dir);
}
