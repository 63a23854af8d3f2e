import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { validateConfig, type LoadedConfig } from '../../../server/config/index.ts';
import { validateGenerateInput, type GenerateInputShape } from '../../../server/graphql/index.ts';

const config = { ...validateConfig({ generation: { width: 512, height: 512, steps: 25, negative_prompt: 'blurry' } }, 'test'), source: null } as LoadedConfig;
const limits = { schedulers: ['euler', 'dpmpp_2m'], rngs: ['torch', 'numpy'], loraNames: ['ink', 'watercolor'] };

function fieldOf(input: Partial<GenerateInputShape>): string | undefined {
  try {
    validateGenerateInput({ prompt: 'a cat', ...input }, config, limits);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as GraphQLError).extensions.field as string;
  }
}

describe('validateGenerateInput', () => {
  it('fills defaults from the config and expands numImages into consecutive seeds', () => {
    const jobs = validateGenerateInput({ prompt: 'a cat', seed: '18446744073709551613', numImages: 3 }, config, limits);
    expect(jobs.map((j) => j.seed)).toEqual(['18446744073709551613', '18446744073709551614', '18446744073709551615']);
    expect(jobs[0]).toMatchObject({ width: 512, height: 512, steps: 25, negativePrompt: 'blurry', scheduler: 'dpmpp_2m', rng: 'torch', loras: [] });
  });

  it('picks a random seed when none is given', () => {
    const [job] = validateGenerateInput({ prompt: 'a cat' }, config, limits);
    expect(BigInt(job.seed)).toBeLessThan(2n ** 32n);
  });

  it.each([
    [{ width: 63 }, 'width'],
    [{ width: 2056 }, 'width'],
    [{ height: 100 }, 'height'],
    [{ width: 1024, height: 1032 }, 'width'],
    [{ steps: 0 }, 'steps'],
    [{ steps: 1.5 }, 'steps'],
    [{ guidanceScale: Number.NaN }, 'guidanceScale'],
    [{ guidanceScale: Number.POSITIVE_INFINITY }, 'guidanceScale'],
    [{ guidanceScale: 30.01 }, 'guidanceScale'],
    [{ prompt: ' \n ' }, 'prompt'],
    [{ prompt: 'x'.repeat(2001) }, 'prompt'],
    [{ scheduler: 'lms' }, 'scheduler'],
    [{ rng: 'nv' }, 'rng'],
    [{ seed: '' }, 'seed'],
    [{ seed: '0x10' }, 'seed'],
    [{ seed: '18446744073709551616' }, 'seed'],
    [{ seed: '4294967295', rng: 'numpy', numImages: 2 }, 'seed'],
    [{ numImages: 65 }, 'numImages'],
    [{ priority: 101 }, 'priority'],
    [{ loras: [{ name: 'oil' }] }, 'loras.0.name'],
    [{ loras: [{ name: 'ink' }, { name: 'ink' }] }, 'loras.1.name'],
    [{ loras: [{ name: 'ink', weight: Number.NaN }] }, 'loras.0.weight'],
  ] as [Partial<GenerateInputShape>, string][])('refuses %j in field %s', (input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('accepts the edges of every range', () => {
    expect(fieldOf({ width: 64, height: 2048, steps: 150, guidanceScale: 0, seed: '0', prompt: 'x'.repeat(2000) })).toBeUndefined();
    expect(fieldOf({ width: 1024, height: 1024, steps: 1, guidanceScale: 30, seed: '18446744073709551615' })).toBeUndefined();
    expect(fieldOf({ loras: [{ name: 'ink', weight: -1.5 }, { name: 'watercolor' }] })).toBeUndefined();
  });

  it('accepts exactly the multiples of 8 in 64 … 2048 within max_pixels', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 2200 }), (width) => {
        const ok = width >= 64 && width <= 1024 && width % 8 === 0;
        expect(fieldOf({ width, height: 1024 }) === undefined).toBe(ok);
      }),
    );
  });
});
