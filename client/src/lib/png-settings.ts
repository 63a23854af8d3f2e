import { parseA1111Parameters, type A1111Settings } from '../../../server/engine/image/a1111-parameters.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The generation settings stored in a PNG's `parameters` text chunk (AUTOMATIC1111's format, which ours also write),
 * or null when the file is no PNG or holds none. Reads tEXt, zTXt and iTXt, inflating in the browser.
 */
export async function settingsFromPng(bytes: Uint8Array): Promise<A1111Settings | null> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 8; offset + 12 <= bytes.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, Math.min(offset + 8 + length, bytes.length));
    offset += 12 + length;
    if (type === 'IEND') break;
    const text = await chunkText(type, data);
    if (text && text.keyword === 'parameters') return parseA1111Parameters(text.value);
  }
  return null;
}

async function chunkText(type: string, data: Uint8Array): Promise<{ keyword: string; value: string } | null> {
  const end = data.indexOf(0);
  if (end < 1) return null;
  const keyword = new TextDecoder('latin1').decode(data.subarray(0, end));
  if (type === 'tEXt') return { keyword, value: new TextDecoder('latin1').decode(data.subarray(end + 1)) };
  if (type === 'zTXt') return { keyword, value: new TextDecoder('latin1').decode(await inflate(data.subarray(end + 2))) };
  if (type !== 'iTXt') return null;
  const compressed = data[end + 1] === 1;
  const languageEnd = data.indexOf(0, end + 3);
  const translatedEnd = data.indexOf(0, languageEnd + 1);
  if (languageEnd < 0 || translatedEnd < 0) return null;
  const body = data.subarray(translatedEnd + 1);
  return { keyword, value: new TextDecoder().decode(compressed ? await inflate(body) : body) };
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
