import { resolveCursorConnection, type DefaultConnectionArguments, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { IdWindow } from '../db/index.ts';
import { badUserInput } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

function cursorId(cursor: string | undefined, field: string): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(cursor);
  if (!/^\d{1,15}$/.test(cursor) || !Number.isSafeInteger(id)) throw badUserInput(field, `${field} is not a cursor of this list`);
  return id;
}

/** Relay connection over rows with integer ids, newest first; the cursor is the row id. */
export async function pageNewestFirst<T extends { id: number }>(args: DefaultConnectionArguments, load: (window: IdWindow) => T[], count: () => number) {
  for (const key of ['first', 'last'] as const) {
    const n = args[key];
    if (n !== null && n !== undefined && (n < 0 || n > MAX_PAGE_SIZE)) throw badUserInput(key, `${key} must be in 0 … ${MAX_PAGE_SIZE}`);
  }
  const olderThan = cursorId(args.after ?? undefined, 'after');
  const newerThan = cursorId(args.before ?? undefined, 'before');
  const connection = await resolveCursorConnection(
    { args, toCursor: (row: T) => String(row.id), defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE },
    ({ limit, inverted }: ResolveCursorConnectionArgs) => load({ olderThan, newerThan, limit, oldestFirst: inverted }),
  );
  return { ...connection, totalCount: count };
}
