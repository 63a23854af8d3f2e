import { setMaxListeners } from 'node:events';
import { createPubSub, type PubSub } from 'graphql-yoga';
import type { BatchRow, ImageRow, JobCounts, JobRow, JobStatus } from '../db/index.ts';

/** One entry of a job's progress stream; `sequence` rises by one per event of that job within a process. */
export interface JobProgressEvent {
  jobId: number;
  sequence: number;
  status: JobStatus;
  step: number;
  totalSteps: number;
  etaMs: number | null;
  elapsedMs: number | null;
  /** A PNG data URL of the current prediction; only on some steps (throttled). */
  previewDataUrl: string | null;
  errorCode: string | null;
}

/** Routing key for `imageAdded`: a batch id, or ALL_IMAGES for every image. */
export const ALL_IMAGES = 'all';

export type QueueTopics = {
  jobProgress: [jobId: number, event: JobProgressEvent];
  jobUpdated: [job: JobRow];
  jobDeleted: [jobId: number];
  queueChanged: [counts: JobCounts];
  batchProgress: [batchId: number, batch: BatchRow];
  imageAdded: [batchKey: string, image: ImageRow];
};

export type QueuePubSub = PubSub<QueueTopics>;

/** Yoga's in-process pub/sub; pass `eventTarget` (e.g. a Redis event target) to spread events across processes. */
export function createQueuePubSub(eventTarget?: EventTarget): QueuePubSub {
  const target = eventTarget ?? new EventTarget();
  // Each subscriber adds a listener to its topic; hundreds on one job are normal, not a leak.
  setMaxListeners(0, target);
  return createPubSub<QueueTopics>({ eventTarget: target as never });
}
