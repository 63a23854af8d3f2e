import { ClipTokenizer } from '../engine/tokenizer/index.ts';

import { SetError } from './errors.ts';
import { fillTemplate, hasPlaceholder } from './template.ts';
import type { CardSet, SetItem } from './types.ts';

export const MAX_THEME_CHARS = 200;
export const MAX_PROMPT_CHARS = 2000;
/** CLIP reads 75 content tokens per window; past that, text is cut or weakened. */
export const PROMPT_TOKEN_WARNING = 75;

export interface BuiltPrompt {
  prompt: string;
  tokenCount: number;
  warnings: string[];
}

/** The theme, trimmed; '' when blank. Too long, multi-line or `{…}` → SetError BAD_USER_INPUT. */
export function normalizeTheme(theme: string, setId?: string): string {
  const trimmed = theme.trim();
  const where = setId ? `set "${setId}": ` : '';
  if (trimmed.length > MAX_THEME_CHARS) {
    throw new SetError(`${where}theme is ${trimmed.length} characters, more than the ${MAX_THEME_CHARS} allowed`, 'BAD_USER_INPUT', setId);
  }
  if (/[\r\n]/.test(trimmed)) throw new SetError(`${where}theme must be a single line`, 'BAD_USER_INPUT', setId);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new SetError(`${where}theme contains control characters`, 'BAD_USER_INPUT', setId);
  if (/[{}]/.test(trimmed)) throw new SetError(`${where}theme must not contain "{" or "}"`, 'BAD_USER_INPUT', setId);
  return trimmed;
}

/** Joins prompt parts with ", ", skipping empty ones, without doubled spaces or commas. */
export function joinPromptParts(parts: readonly string[]): string {
  return parts.map(tidy).filter((part) => part !== '').join(', ');
}

/**
 * `[base_prompt], [theme], [template filled from the row], [style_suffix]`, checked against the
 * 2000-character limit and for leftover `{…}`; the CLIP token count comes back with any warnings.
 */
export function buildItemPrompt(set: CardSet, item: SetItem, theme: string): BuiltPrompt {
  const cleanTheme = normalizeTheme(theme, set.id);
  const prompt = joinPromptParts([set.basePrompt, cleanTheme, fillTemplate(set.promptTemplate, item.values), set.styleSuffix]);
  const where = `set "${set.id}", item "${item.item}"`;
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new SetError(`${where}: the prompt is ${prompt.length} characters, more than the ${MAX_PROMPT_CHARS} allowed`, 'BAD_USER_INPUT', set.id);
  }
  if (hasPlaceholder(prompt)) {
    throw new SetError(`${where}: the prompt still holds a {placeholder}: ${prompt.slice(0, 120)}`, 'INVALID_SET', set.id);
  }
  const tokenCount = ClipTokenizer.default().countTokens(prompt);
  const warnings =
    tokenCount > PROMPT_TOKEN_WARNING
      ? [`${where}: the prompt is ${tokenCount} CLIP tokens, more than the ${PROMPT_TOKEN_WARNING} one CLIP window reads: the rest counts for less or is cut`]
      : [];
  return { prompt, tokenCount, warnings };
}

function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+,/g, ',')
    .replace(/,(\s*,)+/g, ',')
    .replace(/^[\s,]+|[\s,]+$/g, '');
}
