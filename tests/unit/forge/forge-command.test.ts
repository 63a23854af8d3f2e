import { afterAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../../server/cli/main.ts';
import { parseForgeArgs } from '../../../server/cli/commands/forge.ts';
import { UsageError } from '../../../server/cli/errors.ts';
import { readForgeManifest } from '../../../server/engine/forge/index.ts';
import { tempDir } from './helpers.ts';

describe('imagineer forge arguments', () => {
  it('parses every option', () => {
    expect(
      parseForgeArgs(['--preset', 'tiny', '--out', 'm', '--seed', '42', '--layout', 'optimum', '--fp16', '--external-data', '--input-ids', 'int32', '--timestep', 'int64-1', '--unet-batch-1']),
    ).toEqual({
      preset: 'tiny',
      outDir: resolve('m'),
      seed: 42,
      layout: 'optimum',
      externalData: true,
      dtype: 'float16',
      inputIdsType: 'int32',
      timestep: 'int64-1',
      unetBatch: 1,
    });
  });

  it.each([
    [['--out', 'm'], /missing --preset/],
    [['--preset', 'tiny'], /missing --out/],
    [['--preset', 'huge', '--out', 'm'], /--preset must be one of tiny, full, oracle/],
    [['--preset', 'tiny', '--out', 'm', '--seed', '-1'], /--seed/],
    [['--preset', 'tiny', '--out', 'm', '--seed', '4294967296'], /--seed/],
    [['--preset', 'tiny', '--out', 'm', '--layout', 'onnx'], /--layout must be one of diffusers, optimum/],
    [['--preset', 'tiny', '--out', 'm', '--timestep', 'int32'], /--timestep/],
    [['--preset', 'tiny', '--out', 'm', '--colour'], /Unknown option/],
  ])('rejects %j', (args, message) => {
    expect(() => parseForgeArgs(args)).toThrow(UsageError);
    expect(() => parseForgeArgs(args)).toThrow(message);
  });
});

describe('imagineer forge', () => {
  const dir = tempDir('cli');
  afterAll(() => dir.remove());

  it('exits 2 on a bad flag', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['forge', '--preset', 'tiny', '--out', dir.path, '--layout', 'x'])).toBe(2);
    expect(error.mock.calls[0][0]).toMatch(/^imagineer forge: --layout/);
    error.mockRestore();
  });

  it('writes the folder and reports parameters and sizes', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['forge', '--preset', 'oracle', '--out', dir.path, '--seed', '5'])).toBe(0);
    const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
    log.mockRestore();
    expect(printed).toContain(`forged oracle model (seed 5) in ${dir.path}`);
    expect(printed).toMatch(/text_encoder\s+1\.60 M parameters\s+6\.4 MB/);
    expect(existsSync(join(dir.path, 'oracle_expected.png'))).toBe(true);
    expect(readForgeManifest(dir.path)).toMatchObject({ preset: 'oracle', seed: 5 });
  });
});
