import { RNG_NAMES, type RngName } from './generator.ts';

export const SEED_MAX: bigint = 2n ** 64n - 1n;

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}` : String(value);

/** A seed from a bigint, a safe-integer number or a decimal string; must lie in 0 … 2^64 − 1. */
export function parseSeed(value: unknown): bigint {
  let seed: bigint | null = null;
  if (typeof value === 'bigint') seed = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) seed = BigInt(value);
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) seed = BigInt(value.trim());
  if (seed === null || seed < 0n || seed > SEED_MAX) {
    throw new RangeError(`seed must be an integer in 0 … ${SEED_MAX}, got ${describe(value)}`);
  }
  return seed;
}

export function parseRngName(value: unknown): RngName {
  if (typeof value === 'string' && (RNG_NAMES as readonly string[]).includes(value)) return value as RngName;
  throw new RangeError(`unknown RNG ${describe(value)}: expected one of ${RNG_NAMES.join(', ')}`);
}

/** "1,4,64,64" → [1, 4, 64, 64]; every dimension a positive integer. */
export function parseShape(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const dims = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : NaN));
  const bad = parts.find((_part, i) => !Number.isSafeInteger(dims[i]) || dims[i] <= 0);
  if (bad !== undefined) {
    throw new RangeError(`shape must be positive integers separated by commas, got ${JSON.stringify(text)} (bad dimension ${JSON.stringify(bad)})`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > 2 ** 31 - 1) {
    throw new RangeError(`shape ${JSON.stringify(text)} has too many elements (${count})`);
  }
  return dims;
}

/** A uniformly random seed in 0 … 2^32 − 1, so that every generator accepts it. */
export function randomSeed(): bigint {
  return BigInt(crypto.getRandomValues(new Uint32Array(1))[0]);
}
