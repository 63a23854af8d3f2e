import { and, asc, count, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';
import type { IdWindow } from './paging.ts';
import { batches, type BatchRow, type NewBatchRow } from './schema.ts';

export type BatchCounter = 'succeededJobs' | 'failedJobs' | 'cancelledJobs';

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

  /** Adds one finished job to a batch's counts (or takes one away: a retried job); returns the updated batch. */
  countFinished(id: number, counter: BatchCounter, delta: 1 | -1 = 1): BatchRow | undefined {
    const column = batches[counter];
    return this.db
      .update(batches)
      .set({ [counter]: sql`max(${column} + ${delta}, 0)` })
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
