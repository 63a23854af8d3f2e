import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHalfBits } from '../../../server/engine/forge/float16.ts';
import { fromHalfBits } from './helpers.ts';

describe('toHalfBits', () => {
  it('encodes known values', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(70000)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(1e-9)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it('rounds to the nearest half (ties to even)', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true }), (x) => {
        const back = fromHalfBits(toHalfBits(x));
        const neighbour = Math.abs(back) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(back) || 1)) - 10);
        expect(Math.abs(back - x)).toBeLessThanOrEqual(neighbour / 2 + 1e-12);
      }),
    );
  });
});
