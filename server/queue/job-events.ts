import type { BatchRow, ImageRow, JobCounts, JobRow } from '../db/index.ts';
import { TERMINAL_STATUSES } from '../db/index.ts';
import { ALL_IMAGES, type JobProgressEvent, type QueuePubSub } from './events.ts';

/**
 * Publishes job events and remembers the latest progress of every live job, so that a subscriber
 * arriving late starts from the current state and can drop buffered events it has already seen.
 */
export class JobEvents {
  private readonly sequences = new Map<number, number>();
  private readonly latest = new Map<number, JobProgressEvent>();

  constructor(
    readonly pubSub: QueuePubSub,
    private readonly counts: () => JobCounts,
  ) {}

  /** A status change: jobProgress (with the row's step), jobUpdated and queueChanged. */
  statusChanged(job: JobRow): void {
    this.publishProgress(job, { step: job.step, totalSteps: job.totalSteps, etaMs: null, elapsedMs: null, previewDataUrl: null });
    this.pubSub.publish('jobUpdated', job);
    this.queueChanged();
  }

  step(job: JobRow, progress: { step: number; totalSteps: number; etaMs: number; elapsedMs: number; previewDataUrl: string | null }): void {
    this.publishProgress(job, progress);
  }

  queueChanged(): void {
    this.pubSub.publish('queueChanged', this.counts());
  }

  imageAdded(image: ImageRow): void {
    this.pubSub.publish('imageAdded', ALL_IMAGES, image);
    if (image.batchId !== null) this.pubSub.publish('imageAdded', String(image.batchId), image);
  }

  batchChanged(batch: BatchRow): void {
    this.pubSub.publish('batchProgress', batch.id, batch);
  }

  /** The newest event of a job: the live one while it runs, else one built from its row. */
  snapshot(job: JobRow): JobProgressEvent {
    const live = this.latest.get(job.id);
    if (live && live.status === job.status) return live;
    return {
      ...eventFields(job),
      sequence: this.sequences.get(job.id) ?? 0,
      step: job.step,
      totalSteps: job.totalSteps,
      etaMs: null,
      elapsedMs: null,
      previewDataUrl: null,
    };
  }

  private publishProgress(job: JobRow, fields: Pick<JobProgressEvent, 'step' | 'totalSteps' | 'etaMs' | 'elapsedMs' | 'previewDataUrl'>): void {
    const sequence = (this.sequences.get(job.id) ?? 0) + 1;
    const event: JobProgressEvent = { ...eventFields(job), ...fields, sequence };
    if (TERMINAL_STATUSES.includes(job.status)) {
      this.sequences.delete(job.id);
      this.latest.delete(job.id);
    } else {
      this.sequences.set(job.id, sequence);
      this.latest.set(job.id, event);
    }
    this.pubSub.publish('jobProgress', job.id, event);
  }
}

function eventFields(job: JobRow): Pick<JobProgressEvent, 'jobId' | 'status' | 'errorCode'> {
  return { jobId: job.id, status: job.status, errorCode: job.errorCode };
}
