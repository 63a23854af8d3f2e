import { describe, expect, it } from 'vitest';

import { CHUNK_CONTENT_LENGTH, ClipTokenizer, CONTEXT_LENGTH } from '../../../server/engine/tokenizer/index.ts';

const BOS = 49406;
const EOS = 49407;
const tokenizer = ClipTokenizer.default();

function padded(content: number[]): number[] {
  return [BOS, ...content, ...Array<number>(CONTEXT_LENGTH - 1 - content.length).fill(EOS)];
}

describe('ClipTokenizer.encode', () => {
  it('encodes "a photo of a cat" as BOS, five words, EOS padding to 77', () => {
    const { ids, tokenCount, truncated, truncatedText } = tokenizer.encode('a photo of a cat');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 8))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
    expect(Array.from(ids)).toEqual(padded([320, 1125, 539, 320, 2368]));
    expect({ tokenCount, truncated, truncatedText }).toEqual({ tokenCount: 5, truncated: false, truncatedText: '' });
  });

  it('encodes an empty prompt as BOS followed by EOS only', () => {
    expect(Array.from(tokenizer.encode('').ids)).toEqual(padded([]));
  });

  it('keeps exactly 75 content tokens without truncating', () => {
    const prompt = Array<string>(75).fill('cat').join(' ');
    const encoded = tokenizer.encode(prompt);
    expect(encoded.truncated).toBe(false);
    expect(encoded.ids[75]).toBe(2368);
    expect(encoded.ids[76]).toBe(EOS);
  });

  it('truncates past 75 content tokens, keeps EOS last and reports what was cut', () => {
    const words = Array.from({ length: 80 }, (_, i) => (i < 75 ? 'cat' : `dog${i - 75}`));
    const encoded = tokenizer.encode(words.join(' '));
    expect(encoded.ids.length).toBe(77);
    expect(encoded.ids[0]).toBe(BOS);
    expect(encoded.ids[75]).toBe(2368);
    expect(encoded.ids[76]).toBe(EOS);
    expect(encoded.truncated).toBe(true);
    // 75 × "cat" + 5 × ("dog", digit) = 85 tokens
    expect(encoded.tokenCount).toBe(85);
    expect(encoded.truncatedText).toBe('dog0 dog1 dog2 dog3 dog4');
  });

  it('reports a word split across the limit as cut, whole', () => {
    const prompt = `${Array<string>(74).fill('cat').join(' ')} Supercalifragilisticexpialidocious dragon`;
    const encoded = tokenizer.encode(prompt);
    expect(encoded.ids[75]).toBe(1642); // "super", the first piece of the long word, still fits
    expect(encoded.truncatedText).toBe('supercalifragilisticexpialidocious dragon');
  });

  it('cuts digits one by one, since each digit is its own pre-token', () => {
    const encoded = tokenizer.encode(`${Array<string>(74).fill('cat').join(' ')} 2024`);
    expect(encoded.ids[75]).toBe(273);
    expect(encoded.truncatedText).toBe('024');
  });
});

describe('ClipTokenizer.tokenize (hand-checked against vocab.json)', () => {
  it('lower-cases and collapses whitespace', () => {
    expect(tokenizer.tokenize('HELLO   World')).toEqual([3306, 1002]); // hello</w>, world</w>
    expect(tokenizer.tokenize('  a\t\n photo  ')).toEqual([320, 1125]);
  });

  it('gives every digit its own token', () => {
    expect(tokenizer.tokenize('0123456789')).toEqual([271, 272, 273, 274, 275, 276, 277, 278, 279, 280]);
    expect(tokenizer.tokenize('2024')).toEqual([273, 271, 273, 275]);
  });

  it('splits punctuation into its own tokens', () => {
    expect(tokenizer.tokenize('a, b.c!')).toEqual([320, 267, 321, 269, 322, 256]);
  });

  it("splits contractions such as 's", () => {
    expect(tokenizer.tokenize("it's")).toEqual([585, 568]); // it</w>, 's</w>
  });

  it('unescapes HTML entities, twice as CLIP does', () => {
    const expected = [6611, 261, 8253]; // salt</w>, &</w>, pepper</w>
    expect(tokenizer.tokenize('salt & pepper')).toEqual(expected);
    expect(tokenizer.tokenize('salt &amp; pepper')).toEqual(expected);
    expect(tokenizer.tokenize('salt &amp;amp; pepper')).toEqual(expected);
  });

  it('encodes accents and emoji through UTF-8 byte symbols', () => {
    expect(tokenizer.tokenize('café')).toEqual([15304]); // "cafÃ©</w>"
    expect(tokenizer.tokenize('🐉')).toEqual([46908]); // "ðŁĲī</w>"
    expect(tokenizer.decode(tokenizer.tokenize('café 🐉 ελλάς'))).toBe('café 🐉 ελλάς');
  });

  it('treats the special token texts as the special ids', () => {
    expect(tokenizer.tokenize('a cat<|endoftext|>a dog')).toEqual([320, 2368, EOS, 320, 1929]);
  });

  it('counts content tokens', () => {
    expect(tokenizer.countTokens('a photo of a cat')).toBe(5);
    expect(tokenizer.countTokens('')).toBe(0);
  });

  it('has the full SD1.5 vocabulary', () => {
    expect(tokenizer.vocabSize).toBe(49408);
    expect(tokenizer.bosId).toBe(BOS);
    expect(tokenizer.eosId).toBe(EOS);
  });
});

describe('ClipTokenizer.encodeChunks', () => {
  it('gives one chunk for an empty prompt', () => {
    const chunks = tokenizer.encodeChunks('');
    expect(chunks).toHaveLength(1);
    expect(Array.from(chunks[0]!)).toEqual(padded([]));
  });

  it('splits a 200-token prompt into 75-token windows wrapped in BOS … EOS', () => {
    const content = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 'cat' : 'dog'));
    const ids = tokenizer.tokenize(content.join(' '));
    expect(ids).toHaveLength(200);
    const chunks = tokenizer.encodeChunks(content.join(' '));
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) expect(chunk.length).toBe(77);
    expect(Array.from(chunks[0]!)).toEqual([BOS, ...ids.slice(0, 75), EOS]);
    expect(Array.from(chunks[1]!)).toEqual([BOS, ...ids.slice(75, 150), EOS]);
    expect(Array.from(chunks[2]!)).toEqual(padded(ids.slice(150)));
  });

  it('gives one chunk equal to encode() for a short prompt', () => {
    const chunks = tokenizer.encodeChunks('a photo of a cat');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual(tokenizer.encode('a photo of a cat').ids);
  });

  it('does not add an empty chunk when the prompt is exactly 150 tokens', () => {
    expect(tokenizer.encodeChunks(Array<string>(2 * CHUNK_CONTENT_LENGTH).fill('cat').join(' '))).toHaveLength(2);
  });
});

describe('ClipTokenizer.decode', () => {
  it('drops BOS/EOS and restores words', () => {
    expect(tokenizer.decode(tokenizer.encode('A Photo of a CAT, 2 dogs!').ids)).toBe('a photo of a cat , 2 dogs !');
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([49408])).toThrow(RangeError);
  });
});

describe('ClipTokenizer.default', () => {
  it('is loaded once', () => {
    expect(ClipTokenizer.default()).toBe(tokenizer);
  });
});
