import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ClipTokenizer } from '../../../server/engine/tokenizer/index.ts';

const tokenizer = ClipTokenizer.default();
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  // UTF-16 code units, so lone surrogates too (encoded as U+FFFD bytes)
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('a', 'B', ' ', '&', 'amp;', '#', '1', "'s", 'é', '🐉', '<|endoftext|>', '\u0085'), maxLength: 60 }),
);

describe('ClipTokenizer on arbitrary Unicode', () => {
  it('tokenizes any string into ids inside the vocabulary', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const ids = tokenizer.tokenize(text);
        for (const id of ids) {
          expect(Number.isInteger(id)).toBe(true);
          expect(id).toBeGreaterThanOrEqual(0);
          expect(id).toBeLessThan(49408);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('always encodes to 77 ids framed by BOS and EOS, and chunks cover every token', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = tokenizer.encode(text);
        expect(encoded.ids.length).toBe(77);
        expect(encoded.ids[0]).toBe(49406);
        expect(encoded.ids[76]).toBe(49407);
        expect(encoded.truncated).toBe(encoded.tokenCount > 75);
        const chunks = tokenizer.encodeChunks(text);
        expect(chunks.length).toBe(Math.max(1, Math.ceil(encoded.tokenCount / 75)));
      }),
      { numRuns: 200 },
    );
  });

  it('decodes lower-case ASCII words back to the cleaned text', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 20 }), (words) => {
        expect(tokenizer.decode(tokenizer.tokenize(words.join(' ')))).toBe(words.join(' '));
      }),
      { numRuns: 200 },
    );
  });
});
