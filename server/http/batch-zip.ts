import { readdirSync, realpathSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import yazl from 'yazl';
import type { ServerServices } from '../graphql/index.ts';
import { sendText } from './static-files.ts';

/**
 * GET /api/batches/<batch id>/zip: the batch's images, sidecars and batch.json as one zip, streamed.
 * The folder comes from the batch row, never from the request, and must resolve inside the output directory.
 */
export function serveBatchZip(_req: IncomingMessage, res: ServerResponse, services: ServerServices, outputDir: string, rawId: string): void {
  const batch = batchFor(services, decodeURIComponent(rawId));
  if (!batch) {
    sendText(res, 404, 'no such batch');
    return;
  }
  let folder: string;
  try {
    const root = realpathSync(outputDir);
    folder = realpathSync(join(root, batch.directory));
    if (!folder.startsWith(root + sep)) throw new Error('outside the output directory');
  } catch {
    sendText(res, 404, 'the batch folder is gone');
    return;
  }
  const zip = new yazl.ZipFile();
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.') || !/\.(png|json)$/.test(entry.name)) continue;
    // PNGs are already compressed: store them, deflate only the JSON.
    zip.addFile(join(folder, entry.name), `${batch.directory}/${entry.name}`, { compress: entry.name.endsWith('.json') });
  }
  zip.end();
  res.writeHead(200, {
    'content-type': 'application/zip',
    'content-disposition': `attachment; filename="${batch.directory}.zip"`,
  });
  zip.outputStream.pipe(res);
}

function batchFor(services: ServerServices, globalId: string) {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    if (typename !== 'Batch' || !/^\d+$/.test(id)) return undefined;
    return services.repos.batches.get(Number(id));
  } catch {
    return undefined;
  }
}
