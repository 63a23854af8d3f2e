/**
 * GPT-2/CLIP byte-level alphabet: every byte gets a visible stand-in character so that
 * BPE symbols never contain whitespace or control characters. Printable Latin-1 bytes
 * stand for themselves; the remaining 68 bytes take the code points 256, 257, … in byte order.
 */
function isPrintableLatin1(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

function buildByteToSymbol(): string[] {
  const table: string[] = [];
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    table.push(String.fromCodePoint(isPrintableLatin1(byte) ? byte : next++));
  }
  return table;
}

export const BYTE_TO_SYMBOL: readonly string[] = buildByteToSymbol();

export const SYMBOL_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_SYMBOL.map((symbol, byte) => [symbol, byte]));

const utf8 = new TextEncoder();

/** The UTF-8 bytes of `text`, each replaced by its stand-in character. */
export function toByteSymbols(text: string): string {
  let out = '';
  for (const byte of utf8.encode(text)) out += BYTE_TO_SYMBOL[byte];
  return out;
}
