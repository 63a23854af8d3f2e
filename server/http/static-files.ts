import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { resolveInsideRoot } from './sandboxed-path.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-content-type-options': 'nosniff' });
  res.end(text);
}

const STATUS_TEXT: Record<number, string> = { 400: 'bad request path', 404: 'not found', 405: 'method not allowed' };

/**
 * Serves one file from `root` for the encoded path rest; nothing outside the root, no file system path in any reply.
 * Returns false when the file was not found (the caller may fall back, e.g. to index.html).
 */
export async function serveFromRoot(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  encodedPath: string,
  options: { cacheControl?: string; notFound?: 'reply' | 'return' } = {},
): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendText(res, 405, STATUS_TEXT[405]);
    return true;
  }
  const found = await resolveInsideRoot(root, encodedPath);
  if (!found.ok) {
    if (found.status === 404 && options.notFound === 'return') return false;
    sendText(res, found.status, STATUS_TEXT[found.status]);
    return true;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': found.size,
    'x-content-type-options': 'nosniff',
    'cache-control': options.cacheControl ?? 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(found.file);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', resolve);
    stream.pipe(res);
  });
  return true;
}
