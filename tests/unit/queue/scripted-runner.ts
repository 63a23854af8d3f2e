import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobRunner, RunnerProgress, RunnerResult, RunRequest } from '../../../server/queue/index.ts';

/**
 * A test double for the engine: "generates" by stepping through the job's steps, each step waiting
 * for `release()` when `gated`, honours the abort signal between steps, writes a small file as the image.
 */
export class ScriptedRunner implements JobRunner {
  readonly started: number[] = [];
  readonly signals = new Map<number, AbortSignal>();
  failWith: Map<number, Error> = new Map();
  private waiters: (() => void)[] = [];
  private stepListeners: (() => void)[] = [];

  constructor(private readonly gated = false) {}

  async run(request: RunRequest, onProgress: (p: RunnerProgress) => void, signal: AbortSignal): Promise<RunnerResult> {
    const { job } = request;
    this.started.push(job.id);
    this.signals.set(job.id, signal);
    for (let step = 1; step <= job.steps; step++) {
      if (this.gated) await new Promise<void>((resolve) => this.waiters.push(resolve));
      else await Promise.resolve();
      if (signal.aborted) throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
      onProgress({ step, totalSteps: job.steps, elapsedMs: step, etaMs: job.steps - step, preview: { width: 1, height: 1, png: new Uint8Array([1, 2, 3]) } });
      for (const l of this.stepListeners.splice(0)) l();
    }
    const failure = this.failWith.get(job.id);
    if (failure) throw failure;
    await mkdir(path.dirname(request.outputPath), { recursive: true });
    await writeFile(request.outputPath, 'png');
    await writeFile(request.outputPath.replace(/\.png$/, '.json'), '{}');
    return { imagePath: request.outputPath, width: job.width, height: job.height, seed: job.seed };
  }

  /** Lets one waiting step go on (gated runners only). */
  release(): void {
    this.waiters.shift()?.();
  }

  async waitForWaiter(): Promise<void> {
    while (this.waiters.length === 0) await new Promise((r) => setTimeout(r, 1));
  }

  nextStep(): Promise<void> {
    return new Promise((resolve) => this.stepListeners.push(resolve));
  }
}
