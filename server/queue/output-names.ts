import path from 'node:path';
import type { JobRow } from '../db/index.ts';

/** `20261125-071502` in UTC: sorts by time and is safe on every file system. */
export function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A short file-name-safe summary of a prompt: lower-case ASCII words joined by '-'. */
export function promptSlug(prompt: string, maxLength = 40): string {
  const slug = prompt
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return slug || 'image';
}

/** Where a job's PNG goes, relative to the output directory: its planned name or `single/{timestamp}_{id}-{slug}.png`. */
export function relativeOutputPath(job: JobRow, startedAt: number): string {
  if (job.outputName) return job.outputName;
  return path.posix.join('single', `${fileTimestamp(startedAt)}_${job.id}-${promptSlug(job.prompt)}.png`);
}
