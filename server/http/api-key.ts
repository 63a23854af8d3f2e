import { timingSafeEqual } from 'node:crypto';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** Accepts `Authorization: Bearer <key>` or `x-api-key: <key>` (HTTP) and the same names in graphql-ws connectionParams. */
export function presentedKey(source: { get(name: string): string | null | undefined }): string | undefined {
  const auth = source.get('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return source.get('x-api-key') ?? keyFromCookie(source.get('cookie')) ?? undefined;
}

/** The browser's key: the cookie set by POST /login (see plugins/login.ts), sent with fetch, WebSocket and <img>. */
export const API_KEY_COOKIE = 'imagineer_key';

function keyFromCookie(cookie: string | null | undefined): string | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === API_KEY_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function keyMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** When server.api_key is set, GraphQL operations need it; the GraphiQL page itself stays reachable. */
export function apiKeyPlugin(apiKey: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const isGraphiqlPage = request.method === 'GET' && !url.searchParams.has('query') && (request.headers.get('accept') ?? '').includes('text/html');
      if (isGraphiqlPage || keyMatches(apiKey, presentedKey(request.headers))) return;
      const body = JSON.stringify({ errors: [createGraphQLError('missing or wrong API key', { extensions: { code: 'UNAUTHENTICATED' } }).toJSON()] });
      endResponse(new fetchAPI.Response(body, { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } }));
    },
  };
}
