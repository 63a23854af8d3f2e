import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type SandboxResult = { ok: true; file: string; size: number } | { ok: false; status: 400 | 404 };

/** The decoded segments of an encoded path rest, or null when it tries to climb out, name a drive or hide a separator. */
export function safeSegments(encodedPath: string): string[] | null {
  if (/%(2f|5c|00)/i.test(encodedPath)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return null;
  }
  if (/[\\\0]/.test(decoded)) return null;
  if (decoded === '') return [];
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || /^[A-Za-z]:/.test(segments[0])) return null;
  return segments;
}

/**
 * Maps the still percent-encoded rest of a URL path onto a file inside `root`. Refused with 400:
 * encoded slashes or backslashes, NUL, `.`/`..` segments, empty segments (`//etc/passwd`), drive letters.
 * 404: missing files, directories, and anything whose real path (symlinks followed) leaves the root.
 */
export async function resolveInsideRoot(root: string, encodedPath: string): Promise<SandboxResult> {
  const segments = safeSegments(encodedPath);
  if (segments === null) return { ok: false, status: 400 };
  if (segments.length === 0) return { ok: false, status: 404 };
  try {
    const realRoot = await realpath(root);
    const real = await realpath(path.join(realRoot, ...segments));
    if (!real.startsWith(realRoot + path.sep)) return { ok: false, status: 404 };
    const info = await stat(real);
    if (!info.isFile()) return { ok: false, status: 404 };
    return { ok: true, file: real, size: info.size };
  } catch {
    return { ok: false, status: 404 };
  }
}
