import { statSync } from 'node:fs';

/** Changes whenever the file is rewritten, replaced or removed; one stat call. */
export function fileSignature(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
  } catch {
    return 'missing';
  }
}
