import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  createGenerator,
  formatFloat32,
  parseRngName,
  parseSeed,
  parseShape,
  randomSeed,
  RNG_NAMES,
  SEED_MAX,
} from '../../../server/engine/rng/index.ts';

describe('parseSeed', () => {
  it('accepts bigints, safe integers and decimal strings across the whole 64-bit range', () => {
    expect(parseSeed(0)).toBe(0n);
    expect(parseSeed(42n)).toBe(42n);
    expect(parseSeed(Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n - 1n);
    expect(parseSeed('18446744073709551615')).toBe(SEED_MAX);
    expect(SEED_MAX).toBe(2n ** 64n - 1n);
  });

  it.each([-1, 1.5, -1n, 2n ** 64n, '18446744073709551616', '-3', '1e3', '0x10', '', 'seven', null, undefined, NaN, 2 ** 60])(
    'rejects %s naming the value and the range',
    (value) => {
      expect(() => parseSeed(value)).toThrow(RangeError);
      expect(() => parseSeed(value)).toThrow(/seed must be an integer in 0 … 18446744073709551615, got /);
      expect(() => parseSeed(value)).toThrow(value === '' ? 'got ""' : String(value));
    },
  );
});

describe('parseRngName', () => {
  it('accepts the known names and rejects others with the list', () => {
    for (const name of RNG_NAMES) expect(parseRngName(name)).toBe(name);
    expect(() => parseRngName('cuda')).toThrow(/"cuda".*torch, numpy, nv/);
    expect(() => parseRngName(3)).toThrow(RangeError);
  });
});

describe('parseShape', () => {
  it('reads comma-separated positive dimensions', () => {
    expect(parseShape('1,4,64,64')).toEqual([1, 4, 64, 64]);
    expect(parseShape(' 7 ')).toEqual([7]);
  });

  it.each(['', '1,0,3', '2,-1', '1.5', '4,x', '1,,2', '99999,99999,99999'])('rejects %j naming it', (text) => {
    expect(() => parseShape(text)).toThrow(RangeError);
    expect(() => parseShape(text)).toThrow(JSON.stringify(text));
  });
});

describe('createGenerator', () => {
  it('refuses numpy seeds beyond 2^32 − 1 and out-of-range seeds for any generator', () => {
    expect(() => createGenerator('numpy', 2n ** 32n)).toThrow(/numpy.*0 … 4294967295, got 4294967296/);
    expect(() => createGenerator('torch', 2n ** 64n)).toThrow(RangeError);
    expect(createGenerator('numpy', 2n ** 32n - 1n).seed).toBe(2n ** 32n - 1n);
  });

  it('is stateful: consecutive calls continue one stream', () => {
    const g = createGenerator('torch', 9n);
    const first = g.randn(16);
    const second = g.randn(16);
    expect(second).not.toEqual(first);
    expect(createGenerator('torch', 9n).randn(16)).toEqual(first);
    expect(g.name).toBe('torch');
    expect(g.seed).toBe(9n);
  });

  it('randomSeed stays in 0 … 2^32 − 1 so that every generator accepts it', () => {
    for (let i = 0; i < 50; i++) {
      const seed = randomSeed();
      expect(seed >= 0n && seed < 2n ** 32n).toBe(true);
      for (const name of RNG_NAMES) expect(() => createGenerator(name, seed)).not.toThrow();
    }
  });
});

describe('formatFloat32', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1.5409961))).toBe('1.5409961');
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatFloat32(value);
        expect(Math.fround(Number(text))).toBe(value);
        const digits = text.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '').length;
        // one significant digit fewer must not read back
        if (digits > 1) expect(Math.fround(Number(value.toPrecision(digits - 1)))).not.toBe(value);
      }),
    );
  });
});
