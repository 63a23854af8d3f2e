import { parentPort } from 'node:worker_threads';
import { encodePng } from '../engine/image/index.ts';
import { join } from 'node:path';
import { demoLoraDir, ensureDemoLcmLora } from '../engine/models/demo.ts';
import { DEMO_NOTICE, ensureDemoModel, loadModel, OptimizedModelCache, resolveModelDir, type LoadedModel } from '../engine/models/index.ts';
import { warmUp } from '../engine/pipeline/warm-up.ts';
import { SCHEDULER_NAMES } from '../engine/schedulers/index.ts';
import { tinyDecoderPath } from '../engine/models/tiny-decoder-setting.ts';
import { modelNameOf, runGenerateJob } from './generate-job.ts';
import { LoraSessions } from './lora-sessions.ts';
import { serializeError, type EngineOptions, type FromWorker, type GenerateProgress, type ToWorker } from './protocol.ts';

/** At most four previews a second reach the main thread. */
const PREVIEW_INTERVAL_MS = 250;

if (!parentPort) throw new Error('engine-worker.ts runs inside a worker thread (start it through EngineWorker)');
const port = parentPort;

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const log = (line: string) => post({ type: 'log', line });

let model: LoadedModel | undefined;
let options: EngineOptions | undefined;
let modelName = 'unknown';
let loraSessions: LoraSessions | undefined;
/** The job in progress; closing waits for it (its cancel flag is already raised) before releasing the sessions. */
let current: Promise<void> | undefined;
/** The warm-up run after loading; jobs start once it has ended. */
let warmedUp: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      void init(message.options);
      break;
    case 'generate': {
      const job: Promise<void> = warmedUp.then(() => generate(message.jobId, message.request, new Int32Array(message.cancelFlag))).finally(() => {
        if (current === job) current = undefined;
      });
      current = job;
      break;
    }
    case 'close':
      void close();
      break;
  }
});

async function init(engineOptions: EngineOptions): Promise<void> {
  try {
    options = engineOptions;
    const resolved = resolveModelDir(engineOptions.modelDir, engineOptions.dataDir);
    if (resolved.isDemo) {
      if (await ensureDemoModel(resolved.dir)) log(`demo model forged into ${resolved.dir}`);
      // The fast-draft LCM-LoRA for the demo model lives in the demo's own LoRA folder (see ensureDemoLcmLora).
      if (engineOptions.fastDraftLora) await ensureDemoLcmLora(resolved.dir, engineOptions.fastDraftLora);
      log(DEMO_NOTICE);
    }
    const cacheGb = engineOptions.optimizedCacheGb ?? 0;
    const cache = cacheGb > 0 ? new OptimizedModelCache(join(engineOptions.dataDir, 'cache', 'optimized'), cacheGb * 2 ** 30, log) : undefined;
    const tinyDecoder = await tinyDecoderPath(engineOptions.tinyDecoder, resolved, log);
    model = await loadModel(resolved.dir, { device: engineOptions.device, threads: engineOptions.threads, cache, tinyDecoder, log });
    modelName = modelNameOf(resolved.dir, resolved.isDemo);
    if (engineOptions.loraDir) {
      loraSessions = new LoraSessions(
        model,
        { provider: model.provider, threads: engineOptions.threads, cache },
        { directory: resolved.isDemo ? [demoLoraDir(resolved.dir), engineOptions.loraDir] : engineOptions.loraDir, strict: engineOptions.loraStrict ?? false, cacheMb: engineOptions.loraCacheMb ?? 4096, log },
      );
    }
    post({ type: 'ready', info: { modelDir: resolved.dir, provider: model.provider, isDemo: resolved.isDemo, schedulers: [...SCHEDULER_NAMES], decoders: model.tinyDecoder ? ['full', 'tiny'] : ['full'] } });
    if (engineOptions.warmup) warmedUp = warmUpLogged(model, engineOptions.warmup);
  } catch (error) {
    post({ type: 'init-error', error: serializeError(error) });
  }
}

async function warmUpLogged(loaded: LoadedModel, size: { width: number; height: number }): Promise<void> {
  try {
    const ms = await warmUp(loaded, size, options?.maxPixels);
    log(`warmed up at ${size.width}×${size.height} in ${Math.round(ms)} ms`);
  } catch (error) {
    log(`warm-up skipped: ${(error as Error).message}`);
  }
}

async function generate(jobId: string, request: Parameters<typeof runGenerateJob>[0], cancelFlag: Int32Array): Promise<void> {
  const controller = new AbortController();
  // The main thread raises a shared flag; it is read between steps, so no message has to get through mid-job.
  const pollCancel = () => {
    if (Atomics.load(cancelFlag, 0) !== 0) controller.abort();
  };
  // Progress messages go out in step order even though preview PNGs are encoded asynchronously.
  let outbox: Promise<void> = Promise.resolve();
  try {
    if (!model) throw new Error('the engine is not initialised');
    pollCancel();
    const result = await runGenerateJob(request, {
      model,
      modelName,
      loraSessions,
      maxPixels: options?.maxPixels,
      signal: controller.signal,
      previewIntervalMs: PREVIEW_INTERVAL_MS,
      log,
      onStep: (step) => {
        pollCancel();
        outbox = outbox.then(async () => {
          const progress: GenerateProgress = { step: step.step, totalSteps: step.totalSteps, elapsedMs: step.elapsedMs, etaMs: step.etaMs };
          const transfer: ArrayBuffer[] = [];
          if (step.preview) {
            // Copy out of sharp's pooled Buffer so only this preview's bytes are transferred.
            const png = new Uint8Array(await encodePng(step.preview));
            progress.preview = { width: step.preview.width, height: step.preview.height, png };
            transfer.push(png.buffer);
          }
          post({ type: 'progress', jobId, progress }, transfer);
        });
      },
    });
    await outbox;
    post({ type: 'result', jobId, result });
  } catch (error) {
    await outbox.catch(() => {});
    post({ type: 'error', jobId, error: serializeError(error) });
  }
}

async function close(): Promise<void> {
  await warmedUp;
  await current;
  await loraSessions?.dispose();
  loraSessions = undefined;
  await model?.dispose();
  model = undefined;
  post({ type: 'closed' });
}
