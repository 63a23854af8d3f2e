import { afterEach, describe, expect, it, vi } from 'vitest';

import { noiseCommand } from '../../../server/cli/commands/noise.ts';
import { UsageError } from '../../../server/cli/errors.ts';

async function runNoise(args: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  const code = await noiseCommand.run(args);
  return { code, output };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('imagineer noise', () => {
  it('prints torch noise as one JSON array of round-tripping float32 values', async () => {
    const { code, output } = await runNoise(['--seed', '0', '--shape', '5']);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toEqual([1.5409961, -0.2934289, -2.1787894, 0.56843126, -1.0845224]);
  });

  it('defaults to a 1,4,64,64 latent and takes --rng numpy', async () => {
    const latent = JSON.parse((await runNoise(['--seed', '42'])).output) as number[];
    expect(latent).toHaveLength(4 * 64 * 64);
    expect(latent.slice(0, 2)).toEqual([1.9269153, 1.4872841]);
    const numpy = JSON.parse((await runNoise(['--seed', '0', '--shape', '1,3', '--rng', 'numpy'])).output);
    expect(numpy).toEqual([1.7640524, 0.4001572, 0.978738]);
  });

  it.each([
    [['--shape', '4'], /missing --seed/],
    [['--seed', '18446744073709551616'], /18446744073709551616.*|.*18446744073709551615/],
    [['--seed', 'abc'], /"abc"/],
    [['--seed', '1', '--shape', '1,0'], /"1,0"/],
    [['--seed', '1', '--rng', 'cuda'], /"cuda".*torch, numpy, nv/],
    [['--seed', '4294967296', '--rng', 'numpy'], /0 … 4294967295, got 4294967296/],
    [['--seed', '1', '--bogus'], /bogus/],
  ])('rejects %j with a usage error', async (args, message) => {
    const run = noiseCommand.run(args);
    await expect(run).rejects.toThrow(UsageError);
    await expect(noiseCommand.run(args)).rejects.toThrow(message);
  });
});
