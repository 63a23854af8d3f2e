import { and, asc, count, desc, eq, gt, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';
import type { IdWindow } from './paging.ts';
import { jobs, JOB_STATUSES, type JobRow, type JobStatus, type LoraSpec, type NewJobRow } from './schema.ts';

export type JobCounts = Record<JobStatus, number>;

export interface JobFilter {
  status?: JobStatus;
  batchId?: number;
}

export interface JobOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  finishedAt: number;
  error?: string | null;
  errorCode?: string | null;
  imagePath?: string | null;
  step?: number;
}

/** The only place that reads and writes the `jobs` table. */
export class JobsRepository {
  constructor(private readonly db: Db) {}

  insertMany(rows: NewJobRow[]): JobRow[] {
    if (rows.length === 0) return [];
    return this.db.transaction((tx) => tx.insert(jobs).values(rows).returning().all());
  }

  get(id: number): JobRow | undefined {
    return this.db.select().from(jobs).where(eq(jobs.id, id)).get();
  }

  getMany(ids: readonly number[]): JobRow[] {
    if (ids.length === 0) return [];
    return this.db.select().from(jobs).where(inArray(jobs.id, [...ids])).all();
  }

  /**
   * Takes the oldest job of the highest priority in one transaction: QUEUED → RUNNING, attempts + 1. With
   * `preferLoras`, the oldest job of that priority with exactly that LoRA set goes first, so a merged model is not
   * built again for jobs queued behind another set; `jumped` says it passed over an older job.
   */
  claimNext(now: number, preferLoras?: readonly LoraSpec[]): (JobRow & { jumped: boolean }) | undefined {
    return this.db.transaction((tx) => {
      const oldest = tx
        .select({ id: jobs.id, priority: jobs.priority })
        .from(jobs)
        .where(eq(jobs.status, 'QUEUED'))
        .orderBy(desc(jobs.priority), asc(jobs.id))
        .limit(1)
        .get();
      if (!oldest) return undefined;
      const preferred = preferLoras
        ? tx
            .select({ id: jobs.id })
            .from(jobs)
            .where(and(eq(jobs.status, 'QUEUED'), eq(jobs.priority, oldest.priority), sql`${jobs.loras} = ${JSON.stringify(preferLoras)}`))
            .orderBy(asc(jobs.id))
            .limit(1)
            .get()
        : undefined;
      const id = preferred?.id ?? oldest.id;
      const row = tx
        .update(jobs)
        .set({ status: 'RUNNING', startedAt: now, attempts: sql`${jobs.attempts} + 1`, step: 0, error: null, errorCode: null })
        .where(and(eq(jobs.id, id), eq(jobs.status, 'QUEUED')))
        .returning()
        .get();
      return row ? { ...row, jumped: id !== oldest.id } : undefined;
    }, { behavior: 'immediate' });
  }

  setStep(id: number, step: number): void {
    this.db.update(jobs).set({ step }).where(and(eq(jobs.id, id), eq(jobs.status, 'RUNNING'))).run();
  }

  /** Records the end of a RUNNING job; returns the updated row, or undefined when it was no longer running. */
  finish(id: number, outcome: JobOutcome): JobRow | undefined {
    return this.db
      .update(jobs)
      .set({
        status: outcome.status,
        finishedAt: outcome.finishedAt,
        error: outcome.error ?? null,
        errorCode: outcome.errorCode ?? null,
        imagePath: outcome.imagePath ?? null,
        ...(outcome.step === undefined ? {} : { step: outcome.step }),
      })
      .where(and(eq(jobs.id, id), eq(jobs.status, 'RUNNING')))
      .returning()
      .get();
  }

  /** QUEUED → CANCELLED; undefined when the job was not queued (any more). */
  cancelQueued(id: number, now: number): JobRow | undefined {
    return this.db
      .update(jobs)
      .set({ status: 'CANCELLED', finishedAt: now })
      .where(and(eq(jobs.id, id), eq(jobs.status, 'QUEUED')))
      .returning()
      .get();
  }

  /** RUNNING → QUEUED for one job (shutdown) or all of them (start-up after a crash). */
  requeueRunning(id?: number): JobRow[] {
    const running = eq(jobs.status, 'RUNNING');
    return this.db
      .update(jobs)
      .set({ status: 'QUEUED', step: 0, startedAt: null })
      .where(id === undefined ? running : and(running, eq(jobs.id, id)))
      .returning()
      .all();
  }

  /**
   * Start-up after a crash: RUNNING jobs go back to the queue, except those already started `maxAttempts`
   * times, which fail (a job that takes the server down with it must not do so forever).
   */
  recoverRunning(maxAttempts: number, now: number): { requeued: JobRow[]; failed: JobRow[] } {
    return this.db.transaction((tx) => {
      const failed = tx
        .update(jobs)
        .set({
          status: 'FAILED',
          finishedAt: now,
          errorCode: 'INTERRUPTED',
          error: `the server stopped while this job ran, ${maxAttempts} times; it is not started again (retry it to try once more)`,
        })
        .where(and(eq(jobs.status, 'RUNNING'), gte(jobs.attempts, maxAttempts)))
        .returning()
        .all();
      const requeued = tx.update(jobs).set({ status: 'QUEUED', step: 0, startedAt: null }).where(eq(jobs.status, 'RUNNING')).returning().all();
      return { requeued, failed };
    });
  }

  delete(id: number): JobRow | undefined {
    return this.db.delete(jobs).where(eq(jobs.id, id)).returning().get();
  }

  /** Newest first; `filter` narrows by status and batch. */
  page(filter: JobFilter, window: IdWindow): JobRow[] {
    const conditions = filterConditions(filter);
    if (window.olderThan !== undefined) conditions.push(lt(jobs.id, window.olderThan));
    if (window.newerThan !== undefined) conditions.push(gt(jobs.id, window.newerThan));
    return this.db
      .select()
      .from(jobs)
      .where(and(...conditions))
      .orderBy(window.oldestFirst ? asc(jobs.id) : desc(jobs.id))
      .limit(window.limit)
      .all();
  }

  count(filter: JobFilter): number {
    return this.db.select({ n: count() }).from(jobs).where(and(...filterConditions(filter))).get()?.n ?? 0;
  }

  counts(): JobCounts {
    const result = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as JobCounts;
    const rows = this.db.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status).all();
    for (const row of rows) result[row.status] = row.n;
    return result;
  }
}

function filterConditions(filter: JobFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.status) conditions.push(eq(jobs.status, filter.status));
  if (filter.batchId !== undefined) conditions.push(eq(jobs.batchId, filter.batchId));
  return conditions;
}
