export {
  BOS_TOKEN,
  CHUNK_CONTENT_LENGTH,
  ClipTokenizer,
  CONTEXT_LENGTH,
  EOS_TOKEN,
  type EncodedPrompt,
} from './clip-tokenizer.ts';
export { cleanPromptText } from './clean-text.ts';
