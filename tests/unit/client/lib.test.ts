import { CombinedError } from '@urql/core';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorMessages, fieldErrors } from '../../../client/src/lib/errors.ts';
import { durationMs, formatDuration, formatEta } from '../../../client/src/lib/format.ts';
import { TOKEN_LIMIT, estimateTokens } from '../../../client/src/lib/tokens.ts';

describe('estimateTokens', () => {
  it('counts short words and punctuation one each', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a red fox, at night')).toBe(6);
  });

  it('counts long words as several tokens and digits one each', () => {
    expect(estimateTokens('photorealistic')).toBe(2);
    expect(estimateTokens('512')).toBe(3);
  });

  it('goes past the limit for a prompt of 80 words', () => {
    expect(estimateTokens(Array.from({ length: 80 }, () => 'cat').join(' '))).toBeGreaterThan(TOKEN_LIMIT);
  });
});

describe('errorMessages / fieldErrors', () => {
  it('names the field unless the message already does', () => {
    const error = new CombinedError({
      graphQLErrors: [
        new GraphQLError('generation.steps: too small', { extensions: { code: 'BAD_USER_INPUT', field: 'generation.steps' } }),
        new GraphQLError('must be a multiple of 8', { extensions: { code: 'BAD_USER_INPUT', field: 'width' } }),
        new GraphQLError('set not found', { extensions: { code: 'NOT_FOUND' } }),
      ],
    });
    expect(errorMessages(error)).toEqual(['generation.steps: too small', 'width: must be a multiple of 8', 'set not found']);
    expect(fieldErrors(error)).toEqual({ 'generation.steps': 'generation.steps: too small', width: 'must be a multiple of 8' });
  });

  it('reports a network failure as a server error and nothing for no error', () => {
    expect(errorMessages(new CombinedError({ networkError: new Error('Internal Server Error') }))).toEqual(['Server error: Internal Server Error']);
    expect(errorMessages(null)).toEqual([]);
    expect(fieldErrors(undefined)).toEqual({});
  });
});

describe('format', () => {
  it('writes an ETA in seconds, then minutes', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(4_400)).toBe('4s');
    expect(formatEta(125_000)).toBe('2m 05s');
  });

  it('measures durations between ISO times', () => {
    expect(durationMs('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.500Z')).toBe(1500);
    expect(durationMs(null, '2026-01-01T00:00:00Z')).toBeNull();
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(null)).toBe('—');
  });
});
