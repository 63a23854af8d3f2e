import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { THUMBNAIL_WIDTHS } from '../graphql/images.ts';
import { resolveInsideRoot } from './sandboxed-path.ts';
import { sendText, serveFromRoot } from './static-files.ts';


/**
 * `GET /outputs/<png>?w=256`: a WebP no wider than w, made with sharp on first request and cached under
 * `<cacheDir>/<w>/<png path>.webp` (made again when the PNG is newer).
 */
export async function serveThumbnail(
  req: IncomingMessage,
  res: ServerResponse,
  outputDir: string,
  cacheDir: string,
  encodedPath: string,
  widthParam: string,
): Promise<void> {
  const width = Number(widthParam);
  if (!(THUMBNAIL_WIDTHS as readonly number[]).includes(width)) {
    sendText(res, 400, `w must be one of ${THUMBNAIL_WIDTHS.join(', ')}`);
    return;
  }
  const source = await resolveInsideRoot(outputDir, encodedPath);
  if (!source.ok || !source.file.toLowerCase().endsWith('.png')) {
    sendText(res, source.ok ? 404 : source.status, source.ok || source.status === 404 ? 'not found' : 'bad request path');
    return;
  }
  const relative = path.relative(await realpath(outputDir), source.file);
  const cacheRoot = path.join(cacheDir, String(width));
  const cached = path.join(cacheRoot, `${relative}.webp`);
  const [sourceInfo, cachedInfo] = await Promise.all([stat(source.file), stat(cached).catch(() => undefined)]);
  if (!cachedInfo || cachedInfo.mtimeMs < sourceInfo.mtimeMs) {
    await mkdir(path.dirname(cached), { recursive: true });
    const temp = `${cached}.${process.pid}.${Date.now()}.tmp`;
    try {
      await sharp(source.file).resize({ width, withoutEnlargement: true }).webp({ quality: 80 }).toFile(temp);
      await rename(temp, cached);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
  const encodedCachePath = `${relative}.webp`.split(path.sep).map(encodeURIComponent).join('/');
  await serveFromRoot(req, res, cacheRoot, encodedCachePath, { cacheControl: 'public, max-age=3600' });
}
