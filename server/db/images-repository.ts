import { and, asc, count, desc, eq, gt, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';
import type { IdWindow } from './paging.ts';
import { images, type ImageRow, type NewImageRow } from './schema.ts';

/** The only place that reads and writes the `images` table. */
export class ImagesRepository {
  constructor(private readonly db: Db) {}

  insert(row: NewImageRow): ImageRow {
    return this.db.insert(images).values(row).returning().get();
  }

  get(id: number): ImageRow | undefined {
    return this.db.select().from(images).where(eq(images.id, id)).get();
  }

  getMany(ids: readonly number[]): ImageRow[] {
    if (ids.length === 0) return [];
    return this.db.select().from(images).where(inArray(images.id, [...ids])).all();
  }

  forJob(jobId: number): ImageRow | undefined {
    return this.db.select().from(images).where(eq(images.jobId, jobId)).orderBy(desc(images.id)).limit(1).get();
  }

  deleteForJob(jobId: number): ImageRow[] {
    return this.db.delete(images).where(eq(images.jobId, jobId)).returning().all();
  }

  count(filter: { batchId?: number }): number {
    const where = filter.batchId === undefined ? undefined : eq(images.batchId, filter.batchId);
    return this.db.select({ n: count() }).from(images).where(where).get()?.n ?? 0;
  }

  /** Newest first, optionally one batch's images. */
  page(filter: { batchId?: number }, window: IdWindow): ImageRow[] {
    const conditions: SQL[] = [];
    if (filter.batchId !== undefined) conditions.push(eq(images.batchId, filter.batchId));
    if (window.olderThan !== undefined) conditions.push(lt(images.id, window.olderThan));
    if (window.newerThan !== undefined) conditions.push(gt(images.id, window.newerThan));
    return this.db
      .select()
      .from(images)
      .where(and(...conditions))
      .orderBy(window.oldestFirst ? asc(images.id) : desc(images.id))
      .limit(window.limit)
      .all();
  }
}
