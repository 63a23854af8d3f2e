import { RNG_NAMES } from '../engine/rng/index.ts';
import { SCHEDULER_NAMES, type SchedulerName } from '../engine/schedulers/index.ts';
import type { RngName } from '../engine/rng/index.ts';
import type { DecoderName } from '../engine/pipeline/validate.ts';
import { EngineWorker, type EngineOptions } from '../worker/engine-client.ts';
import type { JobRunner } from './job-runner.ts';

/** What the engine reports about itself; `error` is set when it could not start (model missing…). */
export interface EngineStatus {
  state: 'STARTING' | 'READY' | 'FAILED';
  model: string | null;
  modelDir: string | null;
  provider: string | null;
  isDemo: boolean;
  schedulers: readonly string[];
  rngs: readonly string[];
  /** VAE decoders the engine has (`full`, and `tiny` when a TAESD decoder is in place); known once READY. */
  decoders: readonly DecoderName[];
  error: { code: string; message: string } | null;
}

/** A started (or starting) engine: the job runner the worker loop uses, plus its status for `engine` and `/health`. */
export interface EngineHandle {
  runner: JobRunner;
  status(): EngineStatus;
  close(): Promise<void>;
}

export interface EngineRunnerOptions extends EngineOptions {
  /** The configured model reference ("demo", a folder, a hub id), shown as the model name. */
  modelName: string;
  saveMetadata: () => boolean;
  log?: (line: string) => void;
}

/** Starts the engine worker thread in the background; jobs wait until it is ready (or fail with its start error). */
export function startEngineRunner(options: EngineRunnerOptions): EngineHandle {
  const { modelName, saveMetadata, log, ...engineOptions } = options;
  let status: EngineStatus = {
    state: 'STARTING',
    model: modelName,
    modelDir: null,
    provider: null,
    isDemo: modelName === 'demo',
    schedulers: SCHEDULER_NAMES,
    rngs: RNG_NAMES,
    decoders: ['full'],
    error: null,
  };
  const start = (): Promise<EngineWorker> => {
    const starting = EngineWorker.start(engineOptions, { log });
    starting.then(
      (worker) => {
        const info = worker.info();
        status = { ...status, state: 'READY', modelDir: info.modelDir, provider: info.provider, isDemo: info.isDemo, schedulers: info.schedulers, decoders: info.decoders ?? ['full'], error: null };
      },
      (error: Error & { code?: string }) => {
        status = { ...status, state: 'FAILED', error: { code: error.code ?? 'ENGINE_FAILED', message: error.message } };
        log?.(`engine failed to start: ${error.message}`);
      },
    );
    return starting;
  };
  let engine = start();
  let closed = false;

  const runner: JobRunner = {
    async run({ job, outputPath }, onProgress, signal) {
      // A job may be cancelled (or the server stopped) while the engine is still starting.
      const aborted = new Promise<never>((_resolve, reject) => {
        const fail = () => reject(Object.assign(new Error('cancelled before it started'), { code: 'CANCELLED' }));
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
      aborted.catch(() => undefined);
      const worker = await Promise.race([engine, aborted]);
      const jobId = String(job.id);
      const cancel = () => worker.cancel(jobId);
      signal.addEventListener('abort', cancel, { once: true });
      try {
        if (signal.aborted) throw Object.assign(new Error('cancelled before it started'), { code: 'CANCELLED' });
        const decoder = chooseDecoder(job.decoder, worker.info().decoders);
        if (decoder.note) log?.(`job ${job.id}: ${decoder.note}`);
        const result = await worker.generate(
          jobId,
          {
            prompt: job.prompt,
            negativePrompt: job.negativePrompt,
            width: job.width,
            height: job.height,
            steps: job.steps,
            guidanceScale: job.guidanceScale,
            seed: job.seed,
            rng: job.rng as RngName,
            scheduler: job.scheduler as SchedulerName,
            loras: job.loras,
            decoder: decoder.name,
            outputPath,
            saveMetadata: saveMetadata(),
            extraMetadata: {
              jobId: job.id,
              ...(job.extraMetadata ?? {}),
              preset: job.preset,
              decoder: decoder.name,
              ...(decoder.note ? { decoderRequested: job.decoder, warnings: [decoder.note] } : {}),
            },
          },
          onProgress,
        );
        return { imagePath: result.imagePath, width: result.width, height: result.height, seed: result.seed };
      } catch (error) {
        // A crashed worker thread takes this job with it; the next job gets a fresh engine.
        if ((error as { code?: string }).code === 'ENGINE_CRASHED' && !closed) {
          log?.(`engine crashed (${(error as Error).message}); starting it again`);
          status = { ...status, state: 'STARTING' };
          engine = start();
        }
        throw error;
      } finally {
        signal.removeEventListener('abort', cancel);
      }
    },
  };

  return {
    runner,
    status: () => status,
    async close() {
      closed = true;
      const worker = await engine.catch(() => undefined);
      await worker?.close();
    },
  };
}

/** `tiny` needs a TAESD decoder in the engine; without one the job runs with the full VAE and says so. */
export function chooseDecoder(requested: DecoderName, available: readonly DecoderName[] | undefined): { name: DecoderName; note?: string } {
  if ((available ?? ['full']).includes(requested)) return { name: requested };
  return { name: 'full', note: `decoder ${requested} asked for, but the engine has no ${requested} decoder: decoded with the full VAE` };
}
