import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthReport, type ServerServices } from '../graphql/index.ts';
import { handleBatchRequest } from './batch-route.ts';
import { serveBatchZip } from './batch-zip.ts';
import { serveClient } from './client-page.ts';
import { serveLoraPreview } from './lora-previews.ts';
import { refuseWithoutKey } from './plugins/access-gate.ts';
import { isCrossOrigin } from './same-origin.ts';
import { sendText, serveFromRoot } from './static-files.ts';
import { serveThumbnail } from './thumbnails.ts';
import type { ImagineerYoga } from './yoga.ts';

/** GraphQL documents and batch requests are small; anything bigger is refused before parsing. */
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface RouterOptions {
  services: ServerServices;
  yoga: ImagineerYoga;
  outputDir: () => string;
  clientDistDir: string;
  log: (line: string) => void;
  apiKey?: string;
  loraDir: () => string;
  /** Cache of resized images. */
  thumbnailDir: string;
}

/** /health, /outputs/…, /graphql (Yoga), everything else the client. Paths are taken raw, never normalised first. */
export function createRequestHandler(options: RouterOptions) {
  const { services, yoga } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2);
      if (options.apiKey && (await refuseWithoutKey(req, res, options.apiKey, rawPath))) return;
      if (rawPath === yoga.graphqlEndpoint || rawPath.startsWith('/api/')) {
        if (isCrossOrigin(req)) {
          sendText(res, 403, 'cross-origin requests are not accepted');
          return;
        }
        if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
          sendText(res, 413, `request body over ${MAX_REQUEST_BYTES} bytes`);
          return;
        }
        // A chunked body has no length to check up front; every client we serve sends one.
        if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) {
          sendText(res, 411, 'a request body needs a content-length');
          return;
        }
      }
      if (rawPath === yoga.graphqlEndpoint) {
        await yoga.requestListener(req, res);
        return;
      }
      if (rawPath === '/health') {
        const report = healthReport(services);
        sendText(res, 200, `${JSON.stringify(report)}\n`, 'application/json; charset=utf-8');
        return;
      }
      if (rawPath === '/api/generate/batch') {
        await handleBatchRequest(req, res, services, options.apiKey);
        return;
      }
      const zip = rawPath.match(/^\/api\/batches\/([^/]+)\/zip$/);
      if (zip && req.method === 'GET') {
        serveBatchZip(req, res, services, options.outputDir(), zip[1]);
        return;
      }
      if (rawPath.startsWith('/lora-previews/')) {
        await serveLoraPreview(req, res, options.loraDir(), rawPath.slice('/lora-previews/'.length));
        return;
      }
      if (rawPath.startsWith('/outputs/')) {
        const width = new URLSearchParams(rawQuery).get('w');
        if (width !== null) {
          await serveThumbnail(req, res, options.outputDir(), options.thumbnailDir, rawPath.slice('/outputs/'.length), width);
          return;
        }
        await serveFromRoot(req, res, options.outputDir(), rawPath.slice('/outputs/'.length), { cacheControl: 'public, max-age=3600' });
        return;
      }
      if (!rawPath.startsWith('/')) {
        sendText(res, 400, 'bad request path');
        return;
      }
      await serveClient(req, res, options.clientDistDir, rawPath.slice(1));
    } catch (error) {
      options.log(`http: ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    }
  };
}
