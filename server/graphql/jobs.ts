import { GraphQLError } from 'graphql';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { JOB_STATUSES, type JobRow } from '../db/index.ts';
import { PUBLIC_ERROR_CODES } from '../queue/index.ts';
import { builder } from './builder.ts';
import { mapQueueErrors, notFound } from './errors.ts';
import { validateGenerateInput } from './generate-validation.ts';
import { parseGlobalId, parseNodeId } from './ids.ts';
import { jobProgressStream } from './job-progress-stream.ts';
import { assertLorasUsable } from './loras.ts';
import { DecoderEnum, GenerationPresetEnum, withPreset } from './presets.ts';
import { pageNewestFirst } from './paging.ts';
import { BatchRef, ImageRef, iso, JobProgressRef, JobRef } from './refs.ts';

export const JobStatusEnum = builder.enumType('JobStatus', { values: JOB_STATUSES });

const LoraWeight = builder.objectRef<{ name: string; weight: number }>('LoraWeight').implement({
  fields: (t) => ({ name: t.exposeString('name'), weight: t.exposeFloat('weight') }),
});

export const LoraWeightInput = builder.inputType('LoraWeightInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'A name from the LoRA folder listing (file name without .safetensors).' }),
    weight: t.float({ description: 'Default 1.' }),
  }),
});

builder.node(JobRef, {
  description: 'One image to generate and its lifecycle: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED.',
  id: { resolve: (job) => job.id, parse: parseNodeId },
  loadMany: (ids, ctx) => byIds(ids, ctx.services.repos.jobs.getMany(ids)),
  fields: (t) => ({
    status: t.field({ type: JobStatusEnum, resolve: (job) => job.status }),
    prompt: t.exposeString('prompt'),
    negativePrompt: t.exposeString('negativePrompt'),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    steps: t.exposeInt('steps'),
    guidanceScale: t.exposeFloat('guidanceScale'),
    seed: t.exposeString('seed', { description: 'Decimal, 0 … 2^64 − 1.' }),
    scheduler: t.exposeString('scheduler'),
    rng: t.exposeString('rng'),
    loras: t.field({ type: [LoraWeight], resolve: (job) => job.loras }),
    preset: t.field({ type: GenerationPresetEnum, resolve: (job) => job.preset }),
    decoder: t.field({ type: DecoderEnum, description: 'The decoder asked for (the sidecar says which one ran).', resolve: (job) => job.decoder }),
    priority: t.exposeInt('priority'),
    attempts: t.exposeInt('attempts', { description: 'How often the job was started (a restart mid-run counts).' }),
    step: t.int({
      description: 'Last finished denoising step (live while the job runs).',
      resolve: (job, _args, ctx) => (job.status === 'RUNNING' ? ctx.services.events.snapshot(job).step : job.step),
    }),
    totalSteps: t.exposeInt('totalSteps'),
    error: t.string({ nullable: true, resolve: publicError }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    createdAt: t.string({ resolve: (job) => iso(job.createdAt)! }),
    startedAt: t.string({ nullable: true, resolve: (job) => iso(job.startedAt) }),
    finishedAt: t.string({ nullable: true, resolve: (job) => iso(job.finishedAt) }),
    imageUrl: t.string({ nullable: true, resolve: (job) => (job.imagePath ? outputUrl(job.imagePath) : null) }),
    image: t.field({ type: ImageRef, nullable: true, resolve: (job, _args, ctx) => ctx.services.repos.images.forJob(job.id) ?? null }),
    batch: t.field({
      type: BatchRef,
      nullable: true,
      resolve: (job, _args, ctx) => (job.batchId === null ? null : (ctx.services.repos.batches.get(job.batchId) ?? null)),
    }),
    retryOf: t.field({
      type: JobRef,
      nullable: true,
      description: 'The failed or cancelled job this one retries.',
      resolve: (job, _args, ctx) => (job.retryOfId === null ? null : (ctx.services.repos.jobs.get(job.retryOfId) ?? null)),
    }),
  }),
});

JobProgressRef.implement({
  description: 'One event of a job: its state when subscribing, then every step, then the final status.',
  fields: (t) => ({
    jobId: t.id({ resolve: (e) => encodeGlobalID('Job', e.jobId) }),
    job: t.field({ type: JobRef, nullable: true, description: 'Null once the job was deleted.', resolve: (e, _a, ctx) => ctx.services.repos.jobs.get(e.jobId) ?? null }),
    sequence: t.exposeInt('sequence', { description: 'Rises by one per event of this job.' }),
    status: t.field({ type: JobStatusEnum, resolve: (e) => e.status }),
    step: t.exposeInt('step'),
    totalSteps: t.exposeInt('totalSteps'),
    etaMs: t.exposeFloat('etaMs', { nullable: true }),
    elapsedMs: t.exposeFloat('elapsedMs', { nullable: true }),
    previewDataUrl: t.exposeString('previewDataUrl', { nullable: true, description: 'PNG data URL of the current prediction, at most about 4 per second.' }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
  }),
});

const GenerateInput = builder.inputType('GenerateInput', {
  fields: (t) => ({
    prompt: t.string({ required: true }),
    negativePrompt: t.string({ description: 'Default: generation.negative_prompt.' }),
    width: t.int({ description: 'Multiple of 8 in 64 … 2048; width × height ≤ generation.max_pixels.' }),
    height: t.int(),
    steps: t.int({ description: '1 … 150.' }),
    guidanceScale: t.float({ description: '0 … 30.' }),
    seed: t.string({ description: 'Decimal 0 … 2^64 − 1; random when absent. Image i gets seed + i.' }),
    scheduler: t.string({ description: 'One of engine.schedulers.' }),
    rng: t.string({ description: 'One of engine.rngs.' }),
    numImages: t.int({ description: 'One job per image, 1 … 64.' }),
    loras: t.field({ type: [LoraWeightInput] }),
    priority: t.int({ description: 'Higher runs first; FIFO within a priority. −100 … 100, default 0.' }),
    preset: t.field({ type: GenerationPresetEnum, description: 'FAST_DRAFT replaces steps, guidanceScale and scheduler and adds the LCM-LoRA. Default STANDARD.' }),
    decoder: t.field({ type: DecoderEnum, description: 'Default FULL (FAST_DRAFT: generation.fast_draft.decoder).' }),
  }),
});

const GeneratePayload = builder.objectRef<{ jobs: JobRow[] }>('GeneratePayload').implement({
  fields: (t) => ({ jobs: t.field({ type: [JobRef], resolve: (p) => p.jobs }) }),
});

const DeleteJobPayload = builder.objectRef<{ job: JobRow }>('DeleteJobPayload').implement({
  fields: (t) => ({
    deletedId: t.id({ resolve: (p) => encodeGlobalID('Job', p.job.id) }),
    status: t.field({ type: JobStatusEnum, description: 'Status just before deletion.', resolve: (p) => p.job.status }),
  }),
});

builder.queryFields((t) => ({
  jobs: t.connection({
    type: JobRef,
    description: 'Job history, newest first.',
    args: { status: t.arg({ type: JobStatusEnum }), batchId: t.arg.id() },
    resolve: (_root, args, ctx) => {
      const batchId = args.batchId ? parseGlobalId(args.batchId, 'Batch', 'batchId') : undefined;
      const filter = { status: args.status ?? undefined, batchId };
      return pageNewestFirst(args, (window) => ctx.services.repos.jobs.page(filter, window), () => ctx.services.repos.jobs.count(filter));
    },
  }, { name: 'JobConnection' }, { name: 'JobEdge' }),
  job: t.field({
    type: JobRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      const job = ctx.services.repos.jobs.get(parseGlobalId(args.id, 'Job', 'id'));
      if (!job) throw notFound('job', args.id);
      return job;
    },
  }),
}));

builder.mutationFields((t) => ({
  generate: t.field({
    type: GeneratePayload,
    description: 'Queues one job per image.',
    args: { input: t.arg({ type: GenerateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { services } = ctx;
      const engine = services.engine();
      if (engine.state === 'FAILED' && engine.error) {
        throw new GraphQLError(engine.error.message, { extensions: { code: engine.error.code } });
      }
      const parameters = validateGenerateInput(input, services.config(), {
        schedulers: engine.schedulers,
        rngs: engine.rngs,
        loraNames: input.loras?.length ? await services.loraNames() : [],
      });
      const jobs = await withPreset(services, parameters, input.preset, input.decoder);
      await assertLorasUsable(services.config().lora.directory, jobs[0].loras);
      return { jobs: services.queue.enqueue(jobs) };
    },
  }),
  cancelJob: t.field({
    type: JobRef,
    description: 'A queued job is cancelled at once, a running one before its next step; a finished job is returned as it is.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => mapQueueErrors(args.id, () => ctx.services.queue.cancel(parseGlobalId(args.id, 'Job', 'id'))),
  }),
  deleteJob: t.field({
    type: DeleteJobPayload,
    description: 'Removes a job from the history (cancelling it first when it runs); deleteFiles also removes its PNG and sidecar.',
    args: { id: t.arg.id({ required: true }), deleteFiles: t.arg.boolean({ defaultValue: false }) },
    resolve: async (_root, args, ctx) => ({
      job: await mapQueueErrors(args.id, () => ctx.services.queue.delete(parseGlobalId(args.id, 'Job', 'id'), args.deleteFiles ?? false)),
    }),
  }),
  retryJob: t.field({
    type: JobRef,
    description: 'Queues a FAILED or CANCELLED job again as a new job (retryOf points back); the old one stays in the history.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => mapQueueErrors(args.id, () => ctx.services.queue.retry(parseGlobalId(args.id, 'Job', 'id'))),
  }),
}));

builder.subscriptionFields((t) => ({
  jobProgress: t.field({
    type: JobProgressRef,
    description: "The job's current state first, then every step in order; completes after the final status.",
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => jobProgressStream(ctx.services, parseGlobalId(args.jobId, 'Job', 'jobId'), args.jobId),
    resolve: (event) => event,
  }),
  jobDeleted: t.id({
    description: 'The id of each job removed with deleteJob.',
    subscribe: (_root, _args, ctx) => ctx.services.pubSub.subscribe('jobDeleted'),
    resolve: (jobId) => encodeGlobalID('Job', jobId),
  }),
  jobUpdated: t.field({
    type: JobRef,
    description: 'Any job that was queued or changed status.',
    subscribe: (_root, _args, ctx) => ctx.services.pubSub.subscribe('jobUpdated'),
    resolve: (job) => job,
  }),
}));

function publicError(job: JobRow): string | null {
  if (job.error === null) return null;
  return job.errorCode && PUBLIC_ERROR_CODES.has(job.errorCode) ? job.error : 'the job failed because of an internal error (details are in the server log)';
}

export function outputUrl(relativePath: string): string {
  return `/outputs/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

export function byIds<T extends { id: number }>(ids: readonly number[], rows: T[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}
