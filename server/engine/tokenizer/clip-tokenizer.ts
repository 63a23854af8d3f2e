import { fileURLToPath } from 'node:url';

import { BytePairEncoder, END_OF_WORD } from './bpe.ts';
import { BYTE_TO_SYMBOL, SYMBOL_TO_BYTE, toByteSymbols } from './byte-symbols.ts';
import { cleanPromptText } from './clean-text.ts';
import { preTokenize } from './pre-tokenize.ts';
import { readVocabularyFiles } from './vocabulary-files.ts';

// Hand-written rather than @huggingface/tokenizers or transformers.js: those need a tokenizer.json
// (absent from SD1.5 exports) and skip CLIP's double HTML unescape; this is ~150 lines over vocab.json + merges.txt.

export const CONTEXT_LENGTH = 77;
/** Content tokens that fit between BOS and EOS. */
export const CHUNK_CONTENT_LENGTH = CONTEXT_LENGTH - 2;
export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
const MAX_CACHED_WORDS = 50_000;

export interface EncodedPrompt {
  /** BOS, content, EOS, padded with EOS: always 77 ids. */
  ids: Int32Array;
  /** Content tokens, before truncation. */
  tokenCount: number;
  truncated: boolean;
  /** The (cleaned, lower-cased) words that did not fit, '' if none. */
  truncatedText: string;
}

interface TokenizedText {
  ids: number[];
  /** For each id, the offset in `cleaned` of the pre-token it came from. */
  starts: number[];
  cleaned: string;
}

const DEFAULT_DIRECTORY = fileURLToPath(new URL('../reference-sd15/tokenizer/', import.meta.url));
let defaultInstance: ClipTokenizer | undefined;

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  private readonly bpe: BytePairEncoder;
  private readonly tokenById: Map<number, string>;
  /** Pre-token → ids; prompts repeat the same words, so this is where the time goes after warm-up. */
  private readonly wordCache = new Map<string, readonly number[]>();

  private constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    mergeRanks: ReadonlyMap<string, number>,
    source: string,
  ) {
    const bos = vocab.get(BOS_TOKEN);
    const eos = vocab.get(EOS_TOKEN);
    if (bos === undefined || eos === undefined) {
      throw new Error(`CLIP tokenizer: ${source}/vocab.json lacks ${BOS_TOKEN} or ${EOS_TOKEN}`);
    }
    for (const symbol of BYTE_TO_SYMBOL) {
      if (!vocab.has(symbol) || !vocab.has(symbol + END_OF_WORD)) {
        throw new Error(`CLIP tokenizer: ${source}/vocab.json lacks the byte symbol ${JSON.stringify(symbol)}`);
      }
    }
    this.bosId = bos;
    this.eosId = eos;
    this.bpe = new BytePairEncoder(mergeRanks);
    this.tokenById = new Map(Array.from(vocab, ([token, id]) => [id, token]));
  }

  /** Reads `vocab.json` + `merges.txt`; a missing or corrupt file is an Error naming it. */
  static fromDirectory(dir: string): ClipTokenizer {
    const { vocab, mergeRanks } = readVocabularyFiles(dir);
    return new ClipTokenizer(vocab, mergeRanks, dir);
  }

  /** The project's SD1.5 tokenizer (server/engine/reference-sd15/tokenizer), loaded once. */
  static default(): ClipTokenizer {
    defaultInstance ??= ClipTokenizer.fromDirectory(DEFAULT_DIRECTORY);
    return defaultInstance;
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Content ids, without BOS/EOS. */
  tokenize(text: string): number[] {
    return this.tokenizeWithOffsets(text).ids;
  }

  countTokens(text: string): number {
    return this.tokenize(text).length;
  }

  /** One 77-id window; content beyond 75 tokens is cut and reported. */
  encode(text: string): EncodedPrompt {
    const { ids, starts, cleaned } = this.tokenizeWithOffsets(text);
    const truncated = ids.length > CHUNK_CONTENT_LENGTH;
    const cutAt = starts[CHUNK_CONTENT_LENGTH];
    return {
      ids: this.wrap(ids.slice(0, CHUNK_CONTENT_LENGTH)),
      tokenCount: ids.length,
      truncated,
      truncatedText: truncated && cutAt !== undefined ? cleaned.slice(cutAt).trim() : '',
    };
  }

  /**
   * A1111-style long prompts: consecutive 75-token windows, each wrapped in BOS … EOS and padded
   * to 77 with EOS; an empty prompt still gives one chunk. (A1111's back-tracking to the last comma is not done.)
   */
  encodeChunks(text: string): Int32Array[] {
    const ids = this.tokenize(text);
    const chunks: Int32Array[] = [];
    for (let start = 0; start < ids.length || chunks.length === 0; start += CHUNK_CONTENT_LENGTH) {
      chunks.push(this.wrap(ids.slice(start, start + CHUNK_CONTENT_LENGTH)));
    }
    return chunks;
  }

  /** Text of the given ids; BOS/EOS/padding are dropped, bytes that are not valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (const id of Array.from(ids)) {
      if (id === this.bosId || id === this.eosId) continue;
      const token = this.tokenById.get(id);
      if (token === undefined) throw new RangeError(`CLIP tokenizer: unknown token id ${id}`);
      const isWordEnd = token.endsWith(END_OF_WORD);
      for (const symbol of isWordEnd ? token.slice(0, -END_OF_WORD.length) : token) {
        bytes.push(SYMBOL_TO_BYTE.get(symbol) ?? 0x3f);
      }
      if (isWordEnd) bytes.push(0x20);
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }

  private tokenizeWithOffsets(text: string): TokenizedText {
    const cleaned = cleanPromptText(text);
    const ids: number[] = [];
    const starts: number[] = [];
    for (const piece of preTokenize(cleaned)) {
      for (const id of this.wordIds(piece.text)) {
        ids.push(id);
        starts.push(piece.start);
      }
    }
    return { ids, starts, cleaned };
  }

  private wordIds(word: string): readonly number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const special = word === BOS_TOKEN || word === EOS_TOKEN ? this.vocab.get(word) : undefined;
    const ids =
      special !== undefined
        ? [special]
        : this.bpe.encodeWord(toByteSymbols(word)).map((symbol) => {
            const id = this.vocab.get(symbol);
            if (id === undefined) throw new Error(`CLIP tokenizer: merge result ${JSON.stringify(symbol)} is not in vocab.json`);
            return id;
          });
    if (this.wordCache.size >= MAX_CACHED_WORDS) this.wordCache.clear();
    this.wordCache.set(word, ids);
    return ids;
  }

  private wrap(content: number[]): Int32Array {
    const ids = new Int32Array(CONTEXT_LENGTH).fill(this.eosId);
    ids[0] = this.bosId;
    ids.set(content.slice(0, CHUNK_CONTENT_LENGTH), 1);
    return ids;
  }
}
