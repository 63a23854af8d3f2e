import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenedDatabase {
  db: Db;
  file: string;
  close(): void;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
export const DATABASE_FILE_NAME = 'imagineer.db';
/** Written when a data directory's database is first created, so a database that later goes missing is noticed. */
export const DATABASE_MARKER_NAME = 'imagineer.db.created';

/** The database file exists but cannot be used; never replaced silently, the user decides. */
export class DatabaseUnusableError extends Error {
  override name = 'DatabaseUnusableError';
  constructor(
    readonly file: string,
    cause: unknown,
    advice = 'it is left untouched: move it aside to start with an empty history, or restore a backup',
  ) {
    super(`the job database ${file} cannot be opened (${cause instanceof Error ? cause.message : String(cause)}); ${advice}`, { cause });
  }
}

/** Opens `<dataDir>/imagineer.db` (WAL, foreign keys, busy timeout) and applies pending migrations. */
export function openDatabase(dataDir: string): OpenedDatabase {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE_NAME);
  const marker = path.join(dataDir, DATABASE_MARKER_NAME);
  const isNew = !existsSync(file);
  if (isNew && existsSync(marker)) {
    throw new DatabaseUnusableError(
      file,
      new Error(`the file is missing, but a database was created in this folder on ${readFileSync(marker, 'utf8').trim()}`),
      `restore it from a backup, or delete ${marker} to start with an empty history`,
    );
  }
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(file);
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    const quick = sqlite.pragma('quick_check', { simple: true });
    if (quick !== 'ok') throw new Error(`integrity check: ${String(quick)}`);
    const db = drizzle(sqlite, { schema });
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    if (isNew) writeFileSync(marker, `${new Date().toISOString()}\n`);
    const opened = sqlite;
    return {
      db,
      file,
      close: () => {
        if (opened.open) opened.close();
      },
    };
  } catch (error) {
    sqlite?.close();
    throw new DatabaseUnusableError(file, error);
  }
}
