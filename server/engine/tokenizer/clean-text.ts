import { unescapeHtml } from './html-unescape.ts';

// Python's `regex` module `\s` (what CLIP's whitespace collapse and pre-token pattern use);
// differs from JS `\s` (no U+0085, has U+FEFF).
export const CLIP_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// Python's str.strip() also removes U+001C–U+001F.
const STRIPPED = `${CLIP_WHITESPACE}\\u001c-\\u001f`;

const WHITESPACE_RUN = new RegExp(`[${CLIP_WHITESPACE}]+`, 'gu');
const EDGE_SPACE = new RegExp(`^[${STRIPPED}]+|[${STRIPPED}]+$`, 'gu');

function strip(text: string): string {
  return text.replace(EDGE_SPACE, '');
}

/**
 * CLIP's text clean-up before pre-tokenization: HTML entities decoded twice (so `&amp;amp;` → `&`),
 * whitespace runs collapsed to one space, ends stripped, lower-cased.
 * CLIP also runs ftfy.fix_text first; that mojibake repair is not reproduced.
 */
export function cleanPromptText(text: string): string {
  const unescaped = strip(unescapeHtml(unescapeHtml(text)));
  return strip(unescaped.replace(WHITESPACE_RUN, ' ')).toLowerCase();
}
