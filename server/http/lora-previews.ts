import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { listLoras } from '../engine/lora/index.ts';
import { sendText, serveFromRoot } from './static-files.ts';

/** `GET /lora-previews/<name>.<ext>`: the preview image next to a LoRA, found through the listing (names, never paths). */
export async function serveLoraPreview(req: IncomingMessage, res: ServerResponse, loraDir: string, encodedName: string): Promise<void> {
  let requested: string;
  try {
    requested = decodeURIComponent(encodedName);
  } catch {
    sendText(res, 400, 'bad request path');
    return;
  }
  const lora = (await listLoras(loraDir)).find((l) => l.preview && `${l.name}${path.extname(l.preview).toLowerCase()}` === requested);
  if (!lora?.preview) {
    sendText(res, 404, 'not found');
    return;
  }
  await serveFromRoot(req, res, loraDir, encodeURIComponent(path.basename(lora.preview)), { cacheControl: 'no-cache' });
}
