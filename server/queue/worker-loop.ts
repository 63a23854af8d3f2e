import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { JobRow, Repositories } from '../db/index.ts';
import type { JobEvents } from './job-events.ts';
import { errorCodeOf, PUBLIC_ERROR_CODES, type JobRunner, type RunnerProgress } from './job-runner.ts';
import { relativeOutputPath } from './output-names.ts';

export interface WorkerLoopOptions {
  repos: Repositories;
  runner: JobRunner;
  events: JobEvents;
  /** Root of all outputs; image paths in the database are relative to it. */
  outputDir: string;
  /** Least time between two writes of the current step to the database. */
  stepWriteIntervalMs?: number;
  /** Least time between two previews sent to subscribers (≈ 4 per second). */
  previewIntervalMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

type AbortReason = 'cancel' | 'shutdown';

/** How often a job may be started before a crash recovery gives up on it. */
export const MAX_ATTEMPTS = 3;

/**
 * Jobs with the LoRA set of the job just run go first (no merge repeated), but at most this many in a row may pass an
 * older job: a full deck, then the queue's own order again.
 */
export const MAX_GROUPED_JUMPS = 54;

interface ActiveRun {
  job: JobRow;
  controller: AbortController;
  done: Promise<void>;
}

/** One worker per engine: claims jobs in priority/FIFO order and runs them one at a time. */
export class WorkerLoop {
  private active: ActiveRun | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly now: () => number;
  /** The LoRA set of the last job claimed, and how many claims in a row passed over an older job for it. */
  private lastLoras: JobRow['loras'] | undefined;
  private jumps = 0;

  constructor(private readonly options: WorkerLoopOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Re-queues jobs a crash left RUNNING (failing those it interrupted MAX_ATTEMPTS times), then starts taking jobs. */
  start(): void {
    if (this.loop) return;
    const { requeued, failed } = this.options.repos.jobs.recoverRunning(MAX_ATTEMPTS, this.now());
    for (const job of requeued) this.options.log?.(`job ${job.id} was running when the server stopped; queued again`);
    for (const job of failed) {
      this.options.log?.(`job ${job.id} was interrupted ${job.attempts} times; marked FAILED`);
      this.recountBatch(job);
    }
    if (requeued.length + failed.length > 0) this.options.events.queueChanged();
    this.loop = this.run();
  }

  /** Called after new jobs were queued. */
  wake(): void {
    this.wakeUp?.();
  }

  get runningJobId(): number | undefined {
    return this.active?.job.id;
  }

  /** Asks the running job to stop before its next step; resolves once it has ended. */
  async cancelRunning(jobId: number): Promise<boolean> {
    const active = this.active;
    if (!active || active.job.id !== jobId) return false;
    active.controller.abort('cancel' satisfies AbortReason);
    await active.done;
    return true;
  }

  /** Stops taking jobs; the running one is interrupted and queued again for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.active?.controller.abort('shutdown' satisfies AbortReason);
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let job: JobRow | undefined;
      try {
        const prefer = this.jumps < MAX_GROUPED_JUMPS ? this.lastLoras : undefined;
        const claimed = this.options.repos.jobs.claimNext(this.now(), prefer);
        if (claimed) {
          const { jumped, ...row } = claimed;
          this.jumps = jumped ? this.jumps + 1 : 0;
          this.lastLoras = row.loras;
          job = row;
        }
      } catch (error) {
        // The database is busy or failing: say so and try again shortly rather than stop the queue.
        this.options.log?.(`worker: cannot claim a job: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (!job) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      const controller = new AbortController();
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      this.active = { job, controller, done };
      try {
        this.options.events.statusChanged(job);
        await this.execute(job, controller);
      } catch (error) {
        this.options.log?.(`worker: job ${job.id}: ${(error as Error).stack ?? String(error)}`);
      } finally {
        this.active = undefined;
        finished();
      }
    }
  }

  private async execute(job: JobRow, controller: AbortController): Promise<void> {
    const { repos, runner, events, outputDir } = this.options;
    const relativePath = relativeOutputPath(job, job.startedAt ?? this.now());
    const outputPath = path.join(outputDir, ...relativePath.split('/'));
    const onProgress = this.progressHandler(job);
    try {
      const result = await runner.run({ job, outputPath }, onProgress, controller.signal);
      const stored = path.relative(outputDir, result.imagePath).split(path.sep).join('/');
      const finishedAt = this.now();
      const image = repos.images.insert({
        jobId: job.id,
        batchId: job.batchId,
        path: stored,
        width: result.width,
        height: result.height,
        seed: result.seed,
        createdAt: finishedAt,
      });
      const row = repos.jobs.finish(job.id, { status: 'SUCCEEDED', finishedAt, imagePath: stored, step: job.totalSteps });
      if (!row) return;
      events.statusChanged(row);
      events.imageAdded(image);
      this.recountBatch(row);
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      if (reason === 'shutdown') {
        const [row] = repos.jobs.requeueRunning(job.id);
        if (row) events.statusChanged(row);
        return;
      }
      const code = reason === 'cancel' ? 'CANCELLED' : (errorCodeOf(error) ?? 'INTERNAL');
      if (code === 'CANCELLED') {
        const row = repos.jobs.finish(job.id, { status: 'CANCELLED', finishedAt: this.now(), errorCode: 'CANCELLED' });
        if (row) {
          events.statusChanged(row);
          this.recountBatch(row);
        }
        return;
      }
      if (!PUBLIC_ERROR_CODES.has(code)) this.options.log?.(`job ${job.id} failed: ${(error as Error).stack ?? String(error)}`);
      const message = error instanceof Error ? error.message : String(error);
      const row = repos.jobs.finish(job.id, { status: 'FAILED', finishedAt: this.now(), error: message, errorCode: code });
      await rm(outputPath, { force: true });
      if (row) {
        events.statusChanged(row);
        this.recountBatch(row);
      }
    }
  }

  private progressHandler(job: JobRow): (progress: RunnerProgress) => void {
    const { repos, events } = this.options;
    const stepWriteInterval = this.options.stepWriteIntervalMs ?? 250;
    const previewInterval = this.options.previewIntervalMs ?? 250;
    let lastWrite = -Infinity;
    let lastPreview = -Infinity;
    return (progress) => {
      const now = this.now();
      if (now - lastWrite >= stepWriteInterval || progress.step === progress.totalSteps) {
        repos.jobs.setStep(job.id, progress.step);
        lastWrite = now;
      }
      let previewDataUrl: string | null = null;
      if (progress.preview && now - lastPreview >= previewInterval) {
        previewDataUrl = `data:image/png;base64,${Buffer.from(progress.preview.png).toString('base64')}`;
        lastPreview = now;
      }
      events.step(job, {
        step: progress.step,
        totalSteps: progress.totalSteps,
        etaMs: progress.etaMs,
        elapsedMs: progress.elapsedMs,
        previewDataUrl,
      });
    };
  }

  private recountBatch(job: JobRow): void {
    if (job.batchId === null) return;
    const batch = this.options.repos.batches.recount(job.batchId);
    if (batch) this.options.events.batchChanged(batch);
  }
}
