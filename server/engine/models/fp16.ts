/**
 * IEEE 754 half ↔ single precision conversion for fp16 model inputs and outputs.
 * Both directions are table driven: decoding looks up all 65 536 half values, encoding looks up
 * base/shift per (sign, exponent) and rounds to nearest even, as numpy's float16 cast does.
 */

const halfToFloatTable = buildHalfToFloatTable();
const { base, shift, implicitBit, roundBit } = buildFloatToHalfTables();
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function buildHalfToFloatTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = decodeHalf(h);
  return table;
}

function buildFloatToHalfTables() {
  const base = new Uint16Array(512);
  const shift = new Uint8Array(512);
  const implicitBit = new Uint32Array(512);
  const roundBit = new Uint32Array(512);
  for (let i = 0; i < 256; i++) {
    const e = i - 127;
    let b: number;
    let s: number;
    let implicit = 0;
    let round = 0;
    if (e < -25) {
      b = 0;
      s = 24;
    } else if (e < -14) {
      // Subnormal half: the implicit leading 1 becomes part of the mantissa.
      b = 0;
      s = -e - 1;
      implicit = 0x800000;
      round = 1 << (s - 1);
    } else if (e <= 15) {
      b = (e + 15) << 10;
      s = 13;
      round = 1 << 12;
    } else {
      b = 0x7c00; // overflow and ±Inf; NaN is handled before the lookup
      s = 24;
    }
    for (const signBit of [0, 0x100]) {
      base[i | signBit] = b | (signBit ? 0x8000 : 0);
      shift[i | signBit] = s;
      implicitBit[i | signBit] = implicit;
      roundBit[i | signBit] = round;
    }
  }
  return { base, shift, implicitBit, roundBit };
}

export function float32ToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  scratch[0] = value;
  const bits = scratchBits[0];
  const index = bits >>> 23;
  const mantissa = (bits & 0x7fffff) | implicitBit[index];
  let half = base[index] + (mantissa >>> shift[index]);
  const round = roundBit[index];
  if (mantissa & round && (mantissa & (round - 1) || half & 1)) half++;
  return half;
}

export function float16BitsToFloat32(bits: number): number {
  return halfToFloatTable[bits & 0xffff];
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const word = bits[i];
    if ((word & 0x7f800000) === 0x7f800000 && word & 0x7fffff) {
      out[i] = 0x7e00;
      continue;
    }
    const index = word >>> 23;
    const mantissa = (word & 0x7fffff) | implicitBit[index];
    let half = base[index] + (mantissa >>> shift[index]);
    const round = roundBit[index];
    if (mantissa & round && (mantissa & (round - 1) || half & 1)) half++;
    out[i] = half;
  }
  return out;
}

export function float16ToFloat32(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfToFloatTable[values[i]];
  return out;
}
