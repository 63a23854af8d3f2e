export { openDatabase, DatabaseUnusableError, DATABASE_FILE_NAME, type Db, type OpenedDatabase } from './database.ts';
export { JobsRepository, type JobCounts, type JobFilter, type JobOutcome } from './jobs-repository.ts';
export { ImagesRepository } from './images-repository.ts';
export { BatchesRepository } from './batches-repository.ts';
export type { IdWindow } from './paging.ts';
export { lockDataDir, DataDirLockedError } from './data-dir-lock.ts';
export * from './schema.ts';

import type { Db } from './database.ts';
import { BatchesRepository } from './batches-repository.ts';
import { ImagesRepository } from './images-repository.ts';
import { JobsRepository } from './jobs-repository.ts';

export interface Repositories {
  jobs: JobsRepository;
  images: ImagesRepository;
  batches: BatchesRepository;
}

export function createRepositories(db: Db): Repositories {
  return { jobs: new JobsRepository(db), images: new ImagesRepository(db), batches: new BatchesRepository(db) };
}
