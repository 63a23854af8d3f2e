/**
 * LoRA file hashes as AUTOMATIC1111 shows them, cached by (path, size, mtime) so a listing
 * reads each file once until it changes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { LoraError } from './errors.ts';

export interface FileHashes {
  /** sha256 of the whole file, hex. */
  sha256: string;
  /** A1111 "AutoV2": the first 10 hex digits of the sha256. */
  autoV2: string;
  /** A1111's legacy model hash: sha256 of the 64 KiB at offset 1 MiB, first 8 hex digits. */
  legacy: string;
}

const cache = new Map<string, FileHashes>();

export async function hashFile(path: string): Promise<FileHashes> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new LoraError('NOT_FOUND', `${basename(path)}: no such LoRA file`, path);
    throw error;
  });
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const sha256 = await sha256OfFile(path);
  const hashes = { sha256, autoV2: sha256.slice(0, 10), legacy: await legacyHash(path) };
  cache.set(key, hashes);
  return hashes;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function legacyHash(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(0x10000);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0x100000);
    return createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex').slice(0, 8);
  } finally {
    await handle.close();
  }
}
