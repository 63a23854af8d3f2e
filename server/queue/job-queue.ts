import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { JobRow, LoraSpec, Repositories } from '../db/index.ts';
import { TERMINAL_STATUSES } from '../db/index.ts';
import type { DecoderName } from '../engine/pipeline/validate.ts';
import type { GenerationPreset } from '../presets/names.ts';
import type { JobEvents } from './job-events.ts';
import type { WorkerLoop } from './worker-loop.ts';

/** Everything one image needs; already validated. */
export interface JobParameters {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  /** Decimal text, 0 … 2^64 − 1. */
  seed: string;
  scheduler: string;
  rng: string;
  loras: LoraSpec[];
  /** Default `full`. */
  decoder?: DecoderName;
  /** Recorded with the job; its settings are already in the fields above. Default `standard`. */
  preset?: GenerationPreset;
  priority?: number;
  batchId?: number | null;
  /** Planned PNG path relative to the output directory (batches); default `single/…`. */
  outputName?: string | null;
  extraMetadata?: Record<string, unknown> | null;
}

export type QueueErrorCode = 'NOT_FOUND' | 'INVALID_STATE';

/** A request the current job state does not allow (unknown id, retrying a job that succeeded…). */
export class QueueError extends Error {
  override name = 'QueueError';
  constructor(
    readonly code: QueueErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Job lifecycle operations; the worker loop does the running. */
export class JobQueue {
  private readonly now: () => number;

  constructor(
    private readonly repos: Repositories,
    private readonly events: JobEvents,
    private readonly worker: Pick<WorkerLoop, 'wake' | 'cancelRunning' | 'runningJobId'>,
    private readonly outputDir: string,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  enqueue(parameters: readonly JobParameters[]): JobRow[] {
    const createdAt = this.now();
    const rows = this.repos.jobs.insertMany(
      parameters.map((p) => ({
        status: 'QUEUED' as const,
        prompt: p.prompt,
        negativePrompt: p.negativePrompt,
        width: p.width,
        height: p.height,
        steps: p.steps,
        guidanceScale: p.guidanceScale,
        seed: p.seed,
        scheduler: p.scheduler,
        rng: p.rng,
        loras: p.loras,
        decoder: p.decoder ?? 'full',
        preset: p.preset ?? 'standard',
        priority: p.priority ?? 0,
        batchId: p.batchId ?? null,
        outputName: p.outputName ?? null,
        extraMetadata: p.extraMetadata ?? null,
        totalSteps: p.steps,
        createdAt,
      })),
    );
    for (const row of rows) this.events.pubSub.publish('jobUpdated', row);
    this.events.queueChanged();
    this.worker.wake();
    return rows;
  }

  get(id: number): JobRow {
    const job = this.repos.jobs.get(id);
    if (!job) throw new QueueError('NOT_FOUND', `no job with id ${id}`);
    return job;
  }

  /** A queued job is cancelled at once; a running one stops before its next step. Finished jobs stay as they are. */
  async cancel(id: number): Promise<JobRow> {
    const job = this.get(id);
    if (job.status === 'QUEUED') {
      const cancelled = this.repos.jobs.cancelQueued(id, this.now());
      if (cancelled) {
        this.events.statusChanged(cancelled);
        this.recountBatch(cancelled.batchId);
        return cancelled;
      }
    }
    if (this.worker.runningJobId === id) await this.worker.cancelRunning(id);
    return this.get(id);
  }

  /** Removes a job (cancelling it first when it runs); with `deleteFiles` its PNG and sidecar go too. */
  async delete(id: number, deleteFiles = false): Promise<JobRow> {
    const job = this.get(id);
    if (!TERMINAL_STATUSES.includes(job.status)) await this.cancel(id);
    const images = this.repos.images.deleteForJob(id);
    const deleted = this.repos.jobs.delete(id) ?? job;
    this.recountBatch(deleted.batchId);
    if (deleteFiles) {
      const paths = new Set([...images.map((i) => i.path), ...(deleted.imagePath ? [deleted.imagePath] : [])]);
      for (const relative of paths) await this.removeOutput(relative);
    }
    this.events.pubSub.publish('jobDeleted', id);
    this.events.queueChanged();
    return deleted;
  }

  /** A FAILED or CANCELLED job is queued again as a new job with the same parameters (the old one stays in history). */
  retry(id: number): JobRow {
    const job = this.get(id);
    if (job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      throw new QueueError('INVALID_STATE', `job ${id} is ${job.status}; only FAILED or CANCELLED jobs can be retried`);
    }
    const [row] = this.repos.jobs.insertMany([
      {
        status: 'QUEUED',
        prompt: job.prompt,
        negativePrompt: job.negativePrompt,
        width: job.width,
        height: job.height,
        steps: job.steps,
        guidanceScale: job.guidanceScale,
        seed: job.seed,
        scheduler: job.scheduler,
        rng: job.rng,
        loras: job.loras,
        decoder: job.decoder,
        preset: job.preset,
        priority: job.priority,
        batchId: job.batchId,
        outputName: job.outputName,
        extraMetadata: job.extraMetadata,
        totalSteps: job.steps,
        retryOfId: job.id,
        createdAt: this.now(),
      },
    ]);
    // The batch counts the retry's outcome instead of the old one.
    this.recountBatch(job.batchId);
    this.events.pubSub.publish('jobUpdated', row);
    this.events.queueChanged();
    this.worker.wake();
    return row;
  }

  private recountBatch(batchId: number | null): void {
    if (batchId === null) return;
    const batch = this.repos.batches.recount(batchId);
    if (batch) this.events.batchChanged(batch);
  }

  private async removeOutput(relative: string): Promise<void> {
    const root = path.resolve(this.outputDir);
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep)) return;
    await rm(file, { force: true });
    await rm(file.replace(/\.png$/i, '.json'), { force: true });
  }
}
