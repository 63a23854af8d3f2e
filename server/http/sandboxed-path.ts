import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type SandboxResult = { ok: true; file: string; size: number } | { ok: false; status: 400 | 404 };

/**
 * Maps the still percent-encoded rest of a URL path onto a file inside `root`. Refused with 400:
 * encoded slashes or backslashes, NUL, `.`/`..` segments, empty segments (`//etc/passwd`), drive letters.
 * 404: missing files, directories, and anything whose real path (symlinks followed) leaves the root.
 */
export async function resolveInsideRoot(root: string, encodedPath: string): Promise<SandboxResult> {
  if (/%(2f|5c|00)/i.test(encodedPath)) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (/[\\\0]/.test(decoded) || decoded.length === 0) return { ok: false, status: decoded.length === 0 ? 404 : 400 };
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || /^[A-Za-z]:/.test(segments[0])) return { ok: false, status: 400 };
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
