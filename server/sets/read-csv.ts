import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';

import { parse } from 'csv-parse/sync';

import { SetError } from './errors.ts';

/** A set's CSV is prompt text, not data: anything larger is a mistake (or not a CSV at all). */
export const MAX_CSV_BYTES = 1024 * 1024;

export interface CsvTable {
  /** Header names, trimmed, in file order. */
  columns: string[];
  /** One record per data row, values trimmed; blank lines are skipped. */
  rows: CsvRow[];
}

export interface CsvRow {
  values: Record<string, string>;
  /** 1-based line of the file where the record starts, for error messages. */
  line: number;
}

/**
 * Reads and parses one set's CSV (quoted fields with commas and newlines, UTF-8 with or without BOM).
 * Oversized, binary, non-UTF-8, header-only or malformed files are a SetError naming the set and file.
 */
export function readSetCsv(setId: string, file: string, maxBytes = MAX_CSV_BYTES): CsvTable {
  const fail = (problem: string): never => {
    throw new SetError(`set "${setId}": ${basename(file)}: ${problem}`, 'INVALID_SET', setId);
  };

  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) fail('is not a file');
    size = stat.size;
  } catch (error) {
    if (error instanceof SetError) throw error;
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); file ${file}`);
  }
  // Checked before reading so that a huge file costs nothing.
  if (size > maxBytes) fail(`is ${size} bytes, more than the ${maxBytes}-byte limit for a set CSV`);

  const bytes = readFileSync(file);
  if (bytes.includes(0)) fail('contains NUL bytes: a binary file, not a CSV');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('is not valid UTF-8 text');
  }

  let records: { record: string[]; info: { lines: number; raw?: string } }[];
  try {
    records = parse(text, {
      bom: true,
      relax_quotes: false,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      info: true,
      raw: true,
    }) as unknown as typeof records;
  } catch (error) {
    return fail(`is not a valid CSV: ${(error as Error).message}`);
  }

  const [header, ...body] = records;
  if (!header) return fail('is empty (a header row and at least one data row are needed)');
  const columns = header.record.map((name) => name.trim());
  columns.forEach((name, position) => {
    if (name === '') fail(`header column ${position + 1} has no name`);
    if (columns.indexOf(name) !== position) fail(`header names column "${name}" twice`);
  });
  if (body.length === 0) fail('has a header but no data rows');

  const rows = body.map(({ record, info }) => {
    const values: Record<string, string> = {};
    columns.forEach((name, position) => {
      values[name] = (record[position] ?? '').trim();
    });
    return { values, line: startLine(info) };
  });
  return { columns, rows };
}

/** csv-parse counts the line where a record ends; a quoted field with newlines starts earlier. */
function startLine(info: { lines: number; raw?: string }): number {
  const newlinesInside = (info.raw?.replace(/^[\r\n]+|[\r\n]+$/g, '').match(/\n/g) ?? []).length;
  return info.lines - newlinesInside;
}
