import { crc32, inflateSync } from 'node:zlib';

/** A text chunk found in a PNG: tEXt (Latin-1), zTXt (Latin-1, deflated) or iTXt (UTF-8, maybe deflated). */
export interface PngTextEntry {
  keyword: string;
  text: string;
  chunk: 'tEXt' | 'zTXt' | 'iTXt';
}

export class PngReadError extends Error {}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Inflated text is capped so a crafted chunk cannot expand into gigabytes. */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/** Every text chunk of a PNG, in file order. Chunks with a bad CRC or a broken layout are refused, not guessed at. */
export function readPngText(png: Uint8Array): PngTextEntry[] {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngReadError('not a PNG file (bad signature)');
  const entries: PngTextEntry[] = [];
  let offset = 8;
  while (offset + 12 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > buf.length) throw new PngReadError(`truncated ${type} chunk at byte ${offset}`);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (crc32(buf.subarray(offset + 4, offset + 8 + length)) !== buf.readUInt32BE(offset + 8 + length)) {
      throw new PngReadError(`bad CRC in ${type} chunk at byte ${offset}`);
    }
    if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') entries.push(decodeTextChunk(type, data));
    if (type === 'IEND') break;
    offset = end;
  }
  return entries;
}

function inflate(data: Uint8Array): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (error) {
    throw new PngReadError(`compressed text chunk does not inflate: ${(error as Error).message}`);
  }
}

function decodeTextChunk(type: PngTextEntry['chunk'], data: Buffer): PngTextEntry {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 1) throw new PngReadError(`${type} chunk without a keyword`);
  const keyword = data.toString('latin1', 0, keywordEnd);
  const rest = data.subarray(keywordEnd + 1);
  if (type === 'tEXt') return { keyword, text: rest.toString('latin1'), chunk: type };
  if (type === 'zTXt') {
    if (rest[0] !== 0) throw new PngReadError(`zTXt chunk ${keyword} uses unknown compression method ${rest[0]}`);
    return { keyword, text: inflate(rest.subarray(1)).toString('latin1'), chunk: type };
  }
  // iTXt: compression flag, method, language tag\0, translated keyword\0, text.
  const compressed = rest[0] === 1;
  const languageEnd = rest.indexOf(0, 2);
  const translatedEnd = languageEnd < 0 ? -1 : rest.indexOf(0, languageEnd + 1);
  if (rest.length < 2 || translatedEnd < 0) throw new PngReadError(`iTXt chunk ${keyword} is malformed`);
  const body = rest.subarray(translatedEnd + 1);
  return { keyword, text: (compressed ? inflate(body) : body).toString('utf8'), chunk: type };
}

/** Keyword → text (the first chunk wins when a keyword repeats). */
export function readPngTextMap(png: Uint8Array): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of readPngText(png)) if (!(entry.keyword in map)) map[entry.keyword] = entry.text;
  return map;
}
