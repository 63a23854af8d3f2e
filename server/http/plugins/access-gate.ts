import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_KEY_COOKIE, keyMatches, presentedKey } from '../api-key.ts';
import { isCrossOrigin } from '../same-origin.ts';
import { sendText } from '../static-files.ts';

const MAX_LOGIN_BODY = 4096;

function loginPage(message: string): string {
  const escaped = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Imagineer: API key</title></head><body>
<form method="post" action="/login"><p>${escaped}</p>
<label>API key <input name="key" type="password" autocomplete="current-password" autofocus></label>
<button type="submit">Enter</button></form></body></html>\n`;
}

function headersOf(req: IncomingMessage) {
  return { get: (name: string) => req.headers[name] as string | undefined };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_LOGIN_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** POST /login (form field `key`): sets the HttpOnly, SameSite=Strict key cookie the browser then sends everywhere. */
async function handleLogin(req: IncomingMessage, res: ServerResponse, apiKey: string): Promise<void> {
  if (req.method !== 'POST') {
    sendText(res, 200, loginPage('This server needs its API key.'), 'text/html; charset=utf-8');
    return;
  }
  // A foreign page must not log the browser into this server either.
  if (isCrossOrigin(req)) {
    sendText(res, 403, 'cross-origin requests are not accepted');
    return;
  }
  const form = await readForm(req);
  if (!form) {
    sendText(res, 413, 'login form too large');
    return;
  }
  const key = form.get('key') ?? undefined;
  if (!keyMatches(apiKey, key)) {
    sendText(res, 401, loginPage('Wrong API key.'), 'text/html; charset=utf-8');
    return;
  }
  res.writeHead(303, {
    location: '/',
    'set-cookie': `${API_KEY_COOKIE}=${encodeURIComponent(apiKey)}; Path=/; HttpOnly; SameSite=Strict`,
    'content-length': 0,
  });
  res.end();
}

/**
 * With server.api_key set, every HTTP request needs the key (`Authorization: Bearer`, `x-api-key` or the cookie
 * set by POST /login). Returns true when it has answered the request (login page, 401), false to go on.
 */
export async function refuseWithoutKey(req: IncomingMessage, res: ServerResponse, apiKey: string, rawPath: string): Promise<boolean> {
  if (rawPath === '/login') {
    await handleLogin(req, res, apiKey);
    return true;
  }
  if (keyMatches(apiKey, presentedKey(headersOf(req)))) return false;
  res.setHeader('www-authenticate', 'Bearer');
  const wantsPage = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
  if (wantsPage) sendText(res, 401, loginPage('This server needs its API key.'), 'text/html; charset=utf-8');
  else if (rawPath === '/graphql' || rawPath.startsWith('/api/')) {
    const body = JSON.stringify({ errors: [{ message: 'missing or wrong API key', extensions: { code: 'UNAUTHENTICATED' } }] });
    sendText(res, 401, `${body}\n`, 'application/json; charset=utf-8');
  } else sendText(res, 401, 'missing or wrong API key');
  return true;
}
