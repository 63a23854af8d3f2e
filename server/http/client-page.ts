import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { safeSegments } from './sandboxed-path.ts';
import { sendText, serveFromRoot } from './static-files.ts';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Imagineer</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Imagineer</h1>
<p>The web client is not built yet. Build it with <code>npm run build</code> (it goes to <code>client/dist</code>) and reload.</p>
<p>The GraphQL API and its playground are at <a href="/graphql">/graphql</a>; health at <a href="/health">/health</a>.</p>
</body></html>
`;

/** The Svelte client from `client/dist`: files as they are, index.html for every other path (client-side routes). */
export async function serveClient(req: IncomingMessage, res: ServerResponse, distDir: string, encodedPath: string): Promise<void> {
  const index = path.join(distDir, 'index.html');
  if (safeSegments(encodedPath) === null) {
    sendText(res, 400, 'bad request path');
    return;
  }
  if (!existsSync(index)) {
    sendText(res, encodedPath === '' ? 200 : 404, NOT_BUILT, 'text/html; charset=utf-8');
    return;
  }
  if (encodedPath !== '' && encodedPath !== 'index.html') {
    // Vite puts content-hashed files under assets/: they never change.
    const cacheControl = encodedPath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const served = await serveFromRoot(req, res, distDir, encodedPath, { cacheControl, notFound: 'return' });
    if (served) return;
    if (path.extname(encodedPath) !== '') {
      sendText(res, 404, 'not found');
      return;
    }
  }
  await serveFromRoot(req, res, distDir, 'index.html');
}
