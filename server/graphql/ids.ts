import { decodeGlobalID } from '@pothos/plugin-relay';
import { badUserInput } from './errors.ts';

/** Turns a global id (`base64("Job:12")`) into the row id, refusing ids of other types or shapes. */
export function parseGlobalId(value: string, typename: string, field: string): number {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(value);
  } catch {
    throw badUserInput(field, `${field} is not a valid ${typename} id`);
  }
  const id = Number(decoded.id);
  if (decoded.typename !== typename || !/^\d{1,15}$/.test(decoded.id) || !Number.isSafeInteger(id) || id < 1) {
    throw badUserInput(field, `${field} is not a valid ${typename} id`);
  }
  return id;
}

/** Node ids: the same check, but a malformed id simply matches nothing. */
export function parseNodeId(value: string): number {
  const id = Number(value);
  return /^\d{1,15}$/.test(value) && Number.isSafeInteger(id) && id > 0 ? id : -1;
}
