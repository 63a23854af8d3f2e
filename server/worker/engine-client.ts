import { Worker } from 'node:worker_threads';
import type { EngineInfo, EngineOptions, FromWorker, GenerateProgress, GenerateRequest, GenerateResult, SerializedError, ToWorker } from './protocol.ts';

export type { EngineInfo, EngineOptions, GenerateProgress, GenerateRequest, GenerateResult } from './protocol.ts';

/** An engine error on the main thread, with the `code` (MODEL_MISSING, BAD_USER_INPUT, CANCELLED, …) and `field` it had in the worker. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
    name = 'EngineError',
  ) {
    super(message);
    this.name = name;
  }

  static from(serialized: SerializedError): EngineError {
    const error = new EngineError(serialized.message, serialized.code ?? 'ENGINE_ERROR', serialized.field, serialized.name);
    if (serialized.stack) error.stack = `${serialized.stack}\n    (in the engine worker thread)`;
    return error;
  }
}

interface Job {
  jobId: string;
  request: GenerateRequest;
  onProgress?: (progress: GenerateProgress) => void;
  cancelFlag: Int32Array<SharedArrayBuffer>;
  resolve: (result: GenerateResult) => void;
  reject: (error: Error) => void;
}

export interface StartOptions {
  /** Engine log lines (provider choice, demo-model notice); default: stderr. */
  log?: (line: string) => void;
}

const WORKER_ENTRY = new URL('./engine-worker.mjs', import.meta.url);

/**
 * The main thread's handle on the engine worker thread, which owns every ONNX Runtime session.
 * Jobs run one at a time in call order; `cancel` stops a running job before its next step.
 */
export class EngineWorker {
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private closed = false;
  private onClosed: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly engineInfo: EngineInfo,
    private readonly log: (line: string) => void,
  ) {
    worker.on('message', (message: FromWorker) => this.handle(message));
    worker.on('error', (error) => this.fail(new EngineError(`engine worker crashed: ${error.message}`, 'ENGINE_CRASHED')));
    worker.on('exit', (code) => {
      this.fail(
        this.closed
          ? new EngineError('the engine was closed during the job', 'ENGINE_CLOSED')
          : new EngineError(`engine worker exited (code ${code})`, 'ENGINE_CRASHED'),
      );
      this.onClosed?.();
    });
  }

  /** Resolves once the model is loaded; rejects with the loading error and its code (MODEL_MISSING, MODEL_INVALID, …). */
  static start(options: EngineOptions, startOptions: StartOptions = {}): Promise<EngineWorker> {
    const log = startOptions.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const worker = new Worker(WORKER_ENTRY);
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'log') log(message.line);
        else if (message.type === 'ready') {
          cleanup();
          resolve(new EngineWorker(worker, message.info, log));
        } else if (message.type === 'init-error') {
          cleanup();
          void worker.terminate();
          reject(EngineError.from(message.error));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new EngineError(`engine worker failed to start: ${error.message}`, 'ENGINE_CRASHED'));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new EngineError(`engine worker exited during start-up (code ${code})`, 'ENGINE_CRASHED'));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'init', options } satisfies ToWorker);
    });
  }

  info(): EngineInfo {
    return { ...this.engineInfo, schedulers: [...this.engineInfo.schedulers] };
  }

  generate(jobId: string, request: GenerateRequest, onProgress?: (p: GenerateProgress) => void): Promise<GenerateResult> {
    if (this.closed) return Promise.reject(new EngineError('the engine is closed', 'ENGINE_CLOSED'));
    return new Promise((resolve, reject) => {
      const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
      this.queue.push({ jobId, request, onProgress, cancelFlag, resolve, reject });
      this.pump();
    });
  }

  /** A waiting job is dropped at once; the running one stops before its next step. Both reject with code CANCELLED. */
  cancel(jobId: string): void {
    const waiting = this.queue.findIndex((job) => job.jobId === jobId);
    if (waiting >= 0) {
      const [job] = this.queue.splice(waiting, 1);
      job.reject(new EngineError('generation cancelled before it started', 'CANCELLED', undefined, 'AbortError'));
    }
    if (this.running?.jobId === jobId) Atomics.store(this.running.cancelFlag, 0, 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new EngineError('the engine is closing', 'ENGINE_CLOSED'));
    if (this.running) Atomics.store(this.running.cancelFlag, 0, 1);
    const exited = new Promise<void>((resolve) => (this.onClosed = resolve));
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    await exited;
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.running = job;
    this.worker.postMessage({ type: 'generate', jobId: job.jobId, request: job.request, cancelFlag: job.cancelFlag.buffer } satisfies ToWorker);
  }

  private handle(message: FromWorker): void {
    switch (message.type) {
      case 'log':
        this.log(message.line);
        return;
      case 'progress':
        if (this.running?.jobId === message.jobId) {
          try {
            this.running.onProgress?.(message.progress);
          } catch (error) {
            this.log(`progress listener failed: ${(error as Error).message}`);
          }
        }
        return;
      case 'result':
      case 'error': {
        const job = this.running;
        if (job?.jobId !== message.jobId) return;
        this.running = undefined;
        if (message.type === 'result') job.resolve(message.result);
        else job.reject(EngineError.from(message.error));
        this.pump();
        return;
      }
      case 'closed':
        void this.worker.terminate();
        return;
      default:
        return;
    }
  }

  private fail(error: EngineError): void {
    this.closed = true;
    this.running?.reject(error);
    this.running = undefined;
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}
