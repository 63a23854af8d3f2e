import { TERMINAL_STATUSES } from '../db/index.ts';
import type { ServerServices } from './context.ts';
import { notFound } from './errors.ts';

/**
 * `jobProgress`: the job's current state first, then each event in order (by sequence number, so an event
 * already contained in the first state is not sent twice); ends after the final status.
 */
export async function* jobProgressStream(services: ServerServices, jobId: number, rawId: string) {
  if (!services.repos.jobs.get(jobId)) throw notFound('job', rawId);
  const iterator = services.pubSub.subscribe('jobProgress', jobId)[Symbol.asyncIterator]();
  // Pulling once attaches the listener now, before the snapshot is read: no event can fall in between.
  let pending = iterator.next();
  try {
    const job = services.repos.jobs.get(jobId);
    if (!job) return;
    const snapshot = services.events.snapshot(job);
    yield snapshot;
    if (TERMINAL_STATUSES.includes(snapshot.status)) return;
    let lastSequence = snapshot.sequence;
    for (;;) {
      const next = await pending;
      if (next.done) return;
      pending = iterator.next();
      if (next.value.sequence <= lastSequence) continue;
      lastSequence = next.value.sequence;
      yield next.value;
      if (TERMINAL_STATUSES.includes(next.value.status)) return;
    }
  } finally {
    await iterator.return?.();
  }
}
