import { CLIP_WHITESPACE } from './clean-text.ts';

// CLIP compiles this case-insensitively, but the text is already lower-cased, so the only effect of that flag is a
// quirk of Python's `regex`: U+0345 (which case-folds to a Greek iota) matches no branch and is silently dropped.
// We reproduce that by excluding it from the punctuation branch rather than using JS's /i, which differs.
const PRE_TOKEN = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${CLIP_WHITESPACE}\\p{L}\\p{N}\\u0345]+`,
  'gu',
);

export interface PreToken {
  text: string;
  /** Offset of the piece in the cleaned text. */
  start: number;
}

/** Splits cleaned text into CLIP's pre-tokens: special tokens, contractions, letter runs, single digits, punctuation runs. */
export function preTokenize(cleaned: string): PreToken[] {
  return Array.from(cleaned.matchAll(PRE_TOKEN), (match) => ({ text: match[0], start: match.index }));
}
