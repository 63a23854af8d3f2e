import type { Repositories } from '../db/index.ts';
import type { QueuePubSub } from './events.ts';
import { JobEvents } from './job-events.ts';
import { JobQueue } from './job-queue.ts';
import type { JobRunner } from './job-runner.ts';
import { WorkerLoop } from './worker-loop.ts';

export interface JobSystem {
  queue: JobQueue;
  worker: WorkerLoop;
  events: JobEvents;
}

/** Wires events, worker loop and queue around one runner; call `worker.start()` to begin. */
export function createJobSystem(options: {
  repos: Repositories;
  runner: JobRunner;
  pubSub: QueuePubSub;
  outputDir: string;
  log?: (message: string) => void;
  now?: () => number;
}): JobSystem {
  const events = new JobEvents(options.pubSub, () => options.repos.jobs.counts());
  const worker = new WorkerLoop({ repos: options.repos, runner: options.runner, events, outputDir: options.outputDir, log: options.log, now: options.now });
  const queue = new JobQueue(options.repos, events, worker, options.outputDir, options.now);
  return { queue, worker, events };
}
