import type { IncomingMessage } from 'node:http';

/**
 * A browser request from another site (its Origin names another host than the one it reached). The server
 * listens on loopback for this machine's own client: without this check any web page open in a browser
 * could queue, cancel or delete jobs, over HTTP (form posts need no CORS preflight) or over WebSocket
 * (which has no CORS at all). Requests without Origin (curl, scripts, server-side clients) pass.
 */
export function isCrossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const host = req.headers.host;
  if (!host) return true;
  try {
    return new URL(origin).host.toLowerCase() !== host.toLowerCase();
  } catch {
    return true;
  }
}
