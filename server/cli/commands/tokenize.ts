import { parseArgs } from 'node:util';

import { CHUNK_CONTENT_LENGTH, ClipTokenizer } from '../../engine/tokenizer/index.ts';
import type { Command } from '../command.ts';
import { UsageError, UserFacingError } from '../errors.ts';

function parse(args: string[]): { prompt: string; chunks: boolean; tokenizerDir: string | undefined } {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { chunks: { type: 'boolean', default: false }, tokenizer: { type: 'string' } },
    });
    if (positionals.length === 0) throw new UsageError('missing PROMPT (usage: imagineer tokenize "PROMPT" [--chunks])');
    return { prompt: positionals.join(' '), chunks: values.chunks, tokenizerDir: values.tokenizer };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

function loadTokenizer(dir: string | undefined): ClipTokenizer {
  if (dir === undefined) return ClipTokenizer.default();
  try {
    return ClipTokenizer.fromDirectory(dir);
  } catch (error) {
    throw new UserFacingError((error as Error).message);
  }
}

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'Print the CLIP token ids of a prompt (77 ids: BOS, content, EOS, EOS padding) as JSON.',
  usage: 'imagineer tokenize "PROMPT" [--chunks] [--tokenizer DIR]\n\n' +
    '  --chunks          print A1111-style 75-token chunks (an array of 77-id arrays) instead of one truncated window\n' +
    '  --tokenizer DIR   folder with vocab.json + merges.txt (default: the bundled SD1.5 tokenizer)',
  async run(args) {
    const { prompt, chunks, tokenizerDir } = parse(args);
    const tokenizer = loadTokenizer(tokenizerDir);
    if (chunks) {
      console.log(JSON.stringify(tokenizer.encodeChunks(prompt).map((chunk) => Array.from(chunk))));
      return 0;
    }
    const encoded = tokenizer.encode(prompt);
    console.log(JSON.stringify(Array.from(encoded.ids)));
    if (encoded.truncated) {
      console.error(
        `warning: the prompt has ${encoded.tokenCount} tokens, only ${CHUNK_CONTENT_LENGTH} fit; ` +
          `${encoded.tokenCount - CHUNK_CONTENT_LENGTH} cut: "${encoded.truncatedText}" (use --chunks for long prompts)`,
      );
    }
    return 0;
  },
};
