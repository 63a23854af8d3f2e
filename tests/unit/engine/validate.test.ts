import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../server/engine/pipeline/errors.ts';
import { imageSeeds, validateTxt2Img, type Txt2ImgParams } from '../../../server/engine/pipeline/validate.ts';

const base: Txt2ImgParams = { prompt: 'a castle', width: 512, height: 512, steps: 25, guidanceScale: 7.5, scheduler: 'dpmpp_2m', seed: '42' };

function fieldOf(params: Partial<Txt2ImgParams>, limits = {}): { field: string; message: string } {
  try {
    validateTxt2Img({ ...base, ...params } as Txt2ImgParams, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { field: (error as ValidationError).field, message: (error as Error).message };
  }
  throw new Error('expected a ValidationError');
}

describe('txt2img validation', () => {
  it('accepts a normal request and fills defaults', () => {
    expect(validateTxt2Img(base)).toEqual({ ...base, negativePrompt: '', seed: 42n, rng: 'torch', decoder: 'full' });
    expect(validateTxt2Img({ ...base, decoder: 'tiny' }).decoder).toBe('tiny');
  });

  it.each([
    [{ width: 500 }, 'width', /multiple of 8 in 64 … 2048/],
    [{ width: 56 }, 'width', /64 … 2048/],
    [{ height: 2056 }, 'height', /64 … 2048/],
    [{ steps: 0 }, 'steps', /1 … 150/],
    [{ steps: 151 }, 'steps', /1 … 150/],
    [{ steps: 2.5 }, 'steps', /integer/],
    [{ guidanceScale: Number.NaN }, 'guidanceScale', /0 … 30/],
    [{ guidanceScale: -1 }, 'guidanceScale', /0 … 30/],
    [{ guidanceScale: 30.5 }, 'guidanceScale', /0 … 30/],
    [{ scheduler: 'plms' as never }, 'scheduler', /dpmpp_2m/],
    [{ rng: 'mersenne' as never }, 'rng', /torch/],
    [{ decoder: 'taesd' as never }, 'decoder', /full, tiny/],
    [{ seed: '-1' }, 'seed', /0 … 18446744073709551615/],
    [{ seed: '18446744073709551616' }, 'seed', /18446744073709551615/],
    [{ seed: 'abc' }, 'seed', /integer/],
    [{ prompt: 'x'.repeat(2001) }, 'prompt', /2000/],
  ])('%o → field %s', (params, field, message) => {
    const error = fieldOf(params);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('caps width × height at the configured pixel count', () => {
    expect(fieldOf({ width: 1024, height: 1024 }, { maxPixels: 512 * 512 }).message).toMatch(/at most 262144 pixels/);
    expect(validateTxt2Img({ ...base, width: 1024, height: 256 }, { maxPixels: 512 * 512 }).width).toBe(1024);
  });

  it('checks the seed against the RNG (numpy takes 32-bit seeds)', () => {
    expect(fieldOf({ seed: String(2 ** 32), rng: 'numpy' }).field).toBe('seed');
    expect(validateTxt2Img({ ...base, seed: String(2 ** 32), rng: 'torch' }).seed).toBe(2n ** 32n);
  });

  it('keeps seeds beyond 2^53 exact', () => {
    expect(validateTxt2Img({ ...base, seed: '18446744073709551615' }).seed).toBe(18446744073709551615n);
  });

  it('draws a random seed when none is given', () => {
    const seeds = new Set(Array.from({ length: 8 }, () => validateTxt2Img({ ...base, seed: undefined }).seed));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('numbers the seeds of a multi-image request seed, seed + 1, …', () => {
    expect(imageSeeds(7n, 3, 'torch')).toEqual([7n, 8n, 9n]);
    expect(() => imageSeeds(7n, 0, 'torch')).toThrow(ValidationError);
    expect(() => imageSeeds(2n ** 64n - 1n, 2, 'torch')).toThrow(/seed/);
  });
});
