import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from '../../../server/engine/models/fp16.ts';

const reference = JSON.parse(readFileSync(new URL('../../fixtures/engine/fp16-reference.json', import.meta.url), 'utf8')) as {
  float32Bits: number[];
  float16Bits: number[];
};

describe('fp16 conversion', () => {
  it('casts float32 to float16 exactly as numpy does (round to nearest even, subnormals, overflow)', () => {
    const values = new Float32Array(Uint32Array.from(reference.float32Bits).buffer);
    const halves = float32ToFloat16(values);
    expect(Array.from(halves)).toEqual(reference.float16Bits);
    values.forEach((v, i) => expect(float32ToFloat16Bits(v)).toBe(reference.float16Bits[i]));
  });

  it('decodes known half values', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(float16BitsToFloat32(0x7e00))).toBe(true);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('round-trips every finite half value', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    expect(Array.from(float32ToFloat16(float16ToFloat32(finite)))).toEqual(Array.from(finite));
  });

  it('maps NaN to a quiet half NaN', () => {
    expect(float32ToFloat16(Float32Array.of(Number.NaN))[0]).toBe(0x7e00);
    expect(float32ToFloat16Bits(Number.NaN)).toBe(0x7e00);
  });
});
