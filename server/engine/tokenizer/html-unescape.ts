import { decodeHTML, replaceCodePoint } from 'entities/decode';

// The character-reference grammar of Python's html.unescape (what CLIP calls), decoded in one pass.
const CHARACTER_REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/** Code points Python's html.unescape turns into '' when written as numeric references (the HTML spec keeps them). */
function isDroppedCodePoint(codePoint: number): boolean {
  return (
    (codePoint >= 0x01 && codePoint <= 0x08) ||
    codePoint === 0x0b ||
    (codePoint >= 0x0e && codePoint <= 0x1f) ||
    codePoint === 0x7f ||
    (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
    (codePoint & 0xfffe) === 0xfffe
  );
}

function decodeNumeric(body: string): string {
  const digits = body.replace(/;$/, '');
  const codePoint = digits[1] === 'x' || digits[1] === 'X' ? Number.parseInt(digits.slice(2), 16) : Number(digits.slice(1));
  const isRemapped = codePoint === 0 || (codePoint >= 0x80 && codePoint <= 0x9f) || codePoint > 0x10ffff;
  if (isRemapped || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return String.fromCodePoint(replaceCodePoint(codePoint));
  return isDroppedCodePoint(codePoint) ? '' : String.fromCodePoint(codePoint);
}

/**
 * Python's html.unescape: named references through `entities` (same HTML5 table, same longest-prefix rule for
 * legacy names without ';'); numeric ones by hand because Python also drops control and non-character code points.
 */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARACTER_REFERENCE, (match: string, body: string) =>
    body.startsWith('#') ? decodeNumeric(body) : decodeHTML(match),
  );
}
