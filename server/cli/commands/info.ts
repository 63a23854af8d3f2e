import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseA1111Parameters } from '../../engine/image/a1111-parameters.ts';
import { PngReadError, readPngText } from '../../engine/image/png-read.ts';
import type { Command } from '../command.ts';
import { UsageError, UserFacingError } from '../errors.ts';

const USAGE = 'imagineer info IMAGE.png [--json]';

/** Prints the generation settings stored in a PNG (ours or AUTOMATIC1111's): `parameters` text, `imagineer` JSON, other text chunks. */
export const infoCommand: Command = {
  name: 'info',
  summary: 'Show the generation settings stored in a PNG (A1111 parameters, imagineer sidecar JSON)',
  usage: USAGE,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\nusage: ${USAGE}`);
    }
    const file = parsed.positionals[0];
    if (!file || parsed.positionals.length > 1) throw new UsageError(`expected one PNG file\nusage: ${USAGE}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new UserFacingError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let entries;
    try {
      entries = readPngText(bytes);
    } catch (error) {
      if (error instanceof PngReadError) throw new UserFacingError(`${file}: ${error.message}`);
      throw error;
    }
    const parameters = entries.find((e) => e.keyword === 'parameters')?.text;
    const imagineerText = entries.find((e) => e.keyword === 'imagineer')?.text;
    let imagineer: unknown;
    if (imagineerText !== undefined) {
      try {
        imagineer = JSON.parse(imagineerText);
      } catch {
        imagineer = imagineerText;
      }
    }
    if (parsed.values.json) {
      const out = {
        parameters: parameters ?? null,
        settings: parameters === undefined ? null : parseA1111Parameters(parameters),
        imagineer: imagineer ?? null,
        text: Object.fromEntries(entries.filter((e) => e.keyword !== 'parameters' && e.keyword !== 'imagineer').map((e) => [e.keyword, e.text])),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    if (entries.length === 0) {
      process.stdout.write(`${file}: no text chunks (no generation settings stored)\n`);
      return 1;
    }
    if (parameters !== undefined) process.stdout.write(`parameters:\n${parameters}\n`);
    if (imagineer !== undefined) process.stdout.write(`\nimagineer:\n${typeof imagineer === 'string' ? imagineer : JSON.stringify(imagineer, null, 2)}\n`);
    for (const entry of entries) {
      if (entry.keyword === 'parameters' || entry.keyword === 'imagineer') continue;
      process.stdout.write(`\n${entry.keyword} (${entry.chunk}):\n${entry.text}\n`);
    }
    return 0;
  },
};
