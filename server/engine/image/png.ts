import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { RgbImage } from './preview.ts';

/** PNG tEXt chunks (Latin-1 keyword → text), e.g. `parameters` in the AUTOMATIC1111 format. */
export type PngText = Record<string, string>;

export async function encodePng(image: RgbImage, text: PngText = {}): Promise<Buffer> {
  const png = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  return Object.keys(text).length > 0 ? insertTextChunks(png, text) : png;
}

const SIGNATURE_LENGTH = 8;
const IHDR_CHUNK_LENGTH = 12 + 13;

/** sharp writes no custom text chunks, so they go in by hand right after IHDR. */
export function insertTextChunks(png: Buffer, text: PngText): Buffer {
  const chunks = Object.entries(text).map(([keyword, value]) => textChunk(keyword, value));
  const headerEnd = SIGNATURE_LENGTH + IHDR_CHUNK_LENGTH;
  return Buffer.concat([png.subarray(0, headerEnd), ...chunks, png.subarray(headerEnd)]);
}

function textChunk(keyword: string, value: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`invalid PNG text keyword ${JSON.stringify(keyword)}`);
  // iTXt (UTF-8) rather than tEXt (Latin-1): prompts hold any characters. Layout: keyword\0, flag 0, method 0, lang\0, translated\0, text.
  const body = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]);
  const type = Buffer.from('iTXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, body])));
  return Buffer.concat([length, type, body, crc]);
}

/** Writes `data` to a temporary name in the same folder and renames it into place, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function writePng(path: string, image: RgbImage, text?: PngText): Promise<void> {
  await writeFileAtomic(path, await encodePng(image, text));
}
