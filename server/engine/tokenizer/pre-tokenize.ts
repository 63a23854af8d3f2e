import { CLIP_WHITESPACE } from './clean-text.ts';

const PRE_TOKEN = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${CLIP_WHITESPACE}\\p{L}\\p{N}]+`,
  'giu',
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
