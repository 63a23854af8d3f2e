import { and, asc, count, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';
import type { IdWindow } from './paging.ts';
import { batches, jobs, type BatchRow, type NewBatchRow } from './schema.ts';

/** The only place that reads and writes the `batches` table. */
export class BatchesRepository {
  constructor(private readonly db: Db) {}

  insert(row: NewBatchRow): BatchRow {
    return this.db.insert(batches).values(row).returning().get();
  }

  get(id: number): BatchRow | undefined {
    return this.db.select().from(batches).where(eq(batches.id, id)).get();
  }

  getMany(ids: readonly number[]): BatchRow[] {
    if (ids.length === 0) return [];
    return this.db.select().from(batches).where(inArray(batches.id, [...ids])).all();
  }

  /**
   * Recomputes a batch's counts from its jobs, after any change to one of them. A job that was retried
   * is replaced by its retry, so it counts neither in the total nor in an outcome.
   */
  recount(id: number): BatchRow | undefined {
    const current = sql`${jobs.batchId} = ${id} and not exists (select 1 from ${jobs} as r where r.retry_of_id = ${jobs.id})`;
    const counted = (status: string) => sql`(select count(*) from ${jobs} where ${current} and ${jobs.status} = ${status})`;
    return this.db
      .update(batches)
      .set({
        totalJobs: sql`(select count(*) from ${jobs} where ${current})`,
        succeededJobs: counted('SUCCEEDED'),
        failedJobs: counted('FAILED'),
        cancelledJobs: counted('CANCELLED'),
      })
      .where(eq(batches.id, id))
      .returning()
      .get();
  }

  count(): number {
    return this.db.select({ n: count() }).from(batches).get()?.n ?? 0;
  }

  /** Newest first. */
  page(window: IdWindow): BatchRow[] {
    const conditions: SQL[] = [];
    if (window.olderThan !== undefined) conditions.push(lt(batches.id, window.olderThan));
    if (window.newerThan !== undefined) conditions.push(gt(batches.id, window.newerThan));
    return this.db
      .select()
      .from(batches)
      .where(and(...conditions))
      .orderBy(window.oldestFirst ? asc(batches.id) : desc(batches.id))
      .limit(window.limit)
      .all();
  }
}
