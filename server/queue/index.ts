export { createQueuePubSub, ALL_IMAGES, MAX_PENDING_EVENTS, SubscriberTooSlowError, type JobProgressEvent, type QueuePubSub, type QueueTopics } from './events.ts';
export { JobEvents } from './job-events.ts';
export { JobQueue, QueueError, type JobParameters, type QueueErrorCode } from './job-queue.ts';
export { WorkerLoop, type WorkerLoopOptions } from './worker-loop.ts';
export { PUBLIC_ERROR_CODES, errorCodeOf, type JobRunner, type RunnerProgress, type RunnerResult, type RunRequest } from './job-runner.ts';
export { relativeOutputPath, fileTimestamp, promptSlug } from './output-names.ts';
export { createJobSystem, type JobSystem } from './job-system.ts';
export { startEngineRunner, type EngineHandle, type EngineRunnerOptions, type EngineStatus } from './engine-runner.ts';
