/** CLIP's text encoder sees 75 prompt tokens (77 with start and end). */
export const TOKEN_LIMIT = 75;

/**
 * A rough client-side count of CLIP BPE tokens: one per punctuation mark, one per short word and one more per
 * further ~6 letters of a long word. The server's tokenizer is the real judge; this only warns while typing.
 */
export function estimateTokens(text: string): number {
  let count = 0;
  for (const piece of text.toLowerCase().match(/[a-z]+|[0-9]|[^\sa-z0-9]/g) ?? []) {
    count += /^[a-z]+$/.test(piece) ? Math.max(1, Math.ceil(piece.length / 7)) : 1;
  }
  return count;
}
