import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { DecoderName } from '../engine/pipeline/validate.ts';
import type { GenerationPreset } from '../presets/names.ts';

// Spelled out (type-checked) so drizzle-kit loads this file without the engine.
const DECODERS = ['full', 'tiny'] as const satisfies readonly DecoderName[];
const PRESETS = ['standard', 'fast_draft'] as const satisfies readonly GenerationPreset[];

/** Job lifecycle: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED (a crashed RUNNING job goes back to QUEUED). */
export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface LoraSpec {
  name: string;
  weight: number;
}

/** Timestamps are Unix milliseconds; seeds are decimal text because they reach 2^64 − 1. */
export const batches = sqliteTable('batches', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  setId: text('set_id').notNull(),
  theme: text('theme').notNull(),
  seed: text('seed').notNull(),
  /** Folder of the batch's images, relative to the output directory. */
  directory: text('directory').notNull(),
  totalJobs: integer('total_jobs').notNull().default(0),
  succeededJobs: integer('succeeded_jobs').notNull().default(0),
  failedJobs: integer('failed_jobs').notNull().default(0),
  cancelledJobs: integer('cancelled_jobs').notNull().default(0),
  createdAt: integer('created_at').notNull(),
});

export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('QUEUED'),
    priority: integer('priority').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt').notNull().default(''),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    steps: integer('steps').notNull(),
    guidanceScale: real('guidance_scale').notNull(),
    seed: text('seed').notNull(),
    scheduler: text('scheduler').notNull(),
    rng: text('rng').notNull(),
    loras: text('loras', { mode: 'json' }).$type<LoraSpec[]>().notNull().default(sql`'[]'`),
    /** VAE decoder asked for: `full`, or `tiny` (TAESD; the engine falls back to full when it has none). */
    decoder: text('decoder', { enum: DECODERS }).notNull().default('full'),
    /** The generation preset the job was made with (`standard`, `fast_draft`); its settings are in the columns. */
    preset: text('preset', { enum: PRESETS }).notNull().default('standard'),
    /** Batch item data (set, item, theme…) that goes into the image sidecar. */
    extraMetadata: text('extra_metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Requested PNG path relative to the output directory; null = `single/{timestamp}_{id}-{prompt}.png` at run time. */
    outputName: text('output_name'),
    step: integer('step').notNull().default(0),
    totalSteps: integer('total_steps').notNull(),
    error: text('error'),
    errorCode: text('error_code'),
    /** Produced PNG, relative to the output directory. */
    imagePath: text('image_path'),
    batchId: integer('batch_id').references(() => batches.id, { onDelete: 'set null' }),
    retryOfId: integer('retry_of_id'),
    createdAt: integer('created_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('jobs_claim_idx').on(t.status, t.priority, t.id),
    index('jobs_batch_idx').on(t.batchId, t.id),
  ],
);

export const images = sqliteTable(
  'images',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    batchId: integer('batch_id').references(() => batches.id, { onDelete: 'set null' }),
    /** PNG path relative to the output directory (served under /outputs/). */
    path: text('path').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    seed: text('seed').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('images_batch_idx').on(t.batchId, t.id), index('images_job_idx').on(t.jobId)],
);

export type JobRow = typeof jobs.$inferSelect;
export type NewJobRow = typeof jobs.$inferInsert;
export type BatchRow = typeof batches.$inferSelect;
export type NewBatchRow = typeof batches.$inferInsert;
export type ImageRow = typeof images.$inferSelect;
export type NewImageRow = typeof images.$inferInsert;
