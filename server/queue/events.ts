import { setMaxListeners } from 'node:events';
import { createPubSub, Repeater, type PubSub } from 'graphql-yoga';
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

/**
 * Events a subscriber may have waiting before it is dropped (it gets an error and can subscribe again for the
 * current state). Repeater allows 1024 pending pushes; past that a push throws inside the event dispatch,
 * which would take the whole server down because of one stalled socket.
 */
export const MAX_PENDING_EVENTS = 1000;

export class SubscriberTooSlowError extends Error {
  override name = 'SubscriberTooSlowError';
}

/**
 * Yoga's pub/sub for publishing (so a Redis event target can carry events between processes), with
 * subscriptions whose backlog is bounded.
 */
export function createQueuePubSub(eventTarget?: EventTarget): QueuePubSub {
  const target = eventTarget ?? new EventTarget();
  // Each subscriber adds a listener to its topic; hundreds on one job are normal, not a leak.
  setMaxListeners(0, target);
  const yogaPubSub = createPubSub<QueueTopics>({ eventTarget: target as never });
  return {
    publish: yogaPubSub.publish,
    subscribe: ((routingKey: string, id?: unknown) => boundedSubscription(target, id === undefined ? routingKey : `${routingKey}:${String(id)}`)) as QueuePubSub['subscribe'],
  };
}

function boundedSubscription<T>(target: EventTarget, topic: string): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    let waiting = 0;
    const listener = (event: Event) => {
      if (waiting >= MAX_PENDING_EVENTS) {
        stop(new SubscriberTooSlowError(`more than ${MAX_PENDING_EVENTS} events waiting for this subscriber; subscribe again`));
        return;
      }
      waiting += 1;
      push((event as CustomEvent<T>).detail).then(
        () => (waiting -= 1),
        () => undefined,
      );
    };
    target.addEventListener(topic, listener);
    await stop;
    target.removeEventListener(topic, listener);
  });
}
