import { ClipTokenizer } from '../engine/tokenizer/index.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { MAX_PROMPT_LENGTH } from './generate-validation.ts';

builder.queryFields((t) => ({
  promptTokens: t.int({
    description: 'CLIP tokens in a prompt (without start/end tokens); one window reads 75, more count for less or are cut.',
    args: { text: t.arg.string({ required: true }) },
    resolve: (_root, { text }) => {
      if (text.length > MAX_PROMPT_LENGTH) throw badUserInput('text', `text must be at most ${MAX_PROMPT_LENGTH} characters`);
      return ClipTokenizer.default().countTokens(text);
    },
  }),
}));
