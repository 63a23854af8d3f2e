import type { LoadedModel } from '../models/index.ts';

/** Text states for the UNet: `[tokens, hidden]`, tokens = 77 × chunks. */
export interface TextStates {
  states: Float32Array;
  tokens: number;
}

export interface EncodedPrompts {
  cond: TextStates;
  /** Absent when guidance is off (no unconditional pass). */
  uncond?: TextStates;
  /** 77-token windows used per prompt (long prompts use several, as AUTOMATIC1111 does). */
  chunks: number;
  /** Chunks dropped because the UNet export fixes the sequence at 77 tokens. */
  droppedChunks: number;
}

/**
 * Encodes the prompt (and the negative prompt as unconditional text) in 77-token chunks whose states are
 * concatenated along the sequence; the shorter of the two is padded with empty-prompt chunks to the same count.
 */
export async function encodePrompts(model: LoadedModel, prompt: string, negativePrompt: string | undefined): Promise<EncodedPrompts> {
  const { tokenizer, textEncoder, unet } = model;
  const condChunks = tokenizer.encodeChunks(prompt);
  const uncondChunks = negativePrompt === undefined ? [] : tokenizer.encodeChunks(negativePrompt);
  let chunks = Math.max(condChunks.length, uncondChunks.length);
  const maxChunks = unet.fixedTokens !== undefined ? Math.max(1, Math.floor(unet.fixedTokens / 77)) : Number.POSITIVE_INFINITY;
  const droppedChunks = Math.max(0, chunks - maxChunks);
  chunks = Math.min(chunks, maxChunks);
  const empty = tokenizer.encodeChunks('')[0];
  const encode = async (ids: Int32Array[]): Promise<TextStates> => {
    const parts: Float32Array[] = [];
    for (let i = 0; i < chunks; i++) parts.push(await textEncoder.encode(ids[i] ?? empty));
    return { states: concat(parts), tokens: 77 * chunks };
  };
  const cond = await encode(condChunks);
  const uncond = negativePrompt === undefined ? undefined : await encode(uncondChunks);
  return { cond, uncond, chunks, droppedChunks };
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
