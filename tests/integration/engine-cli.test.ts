import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forge, tempDir } from './engine-fixtures.ts';

const bin = fileURLToPath(new URL('../../bin/imagineer.mjs', import.meta.url));
const root = tempDir('engine-cli');
let modelDir: string;

async function imagineer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  modelDir = await forge(root.path, 'tiny', { preset: 'tiny' });
});
afterAll(() => root.remove());

describe('imagineer generate', () => {
  it('writes a PNG of the requested size and its sidecar', async () => {
    const output = join(root.path, 'out', 'card.png');
    const run = await imagineer('generate', '--prompt', 'a tarot card of the moon', '--model', modelDir, '--output', output,
      '--width', '96', '--height', '64', '--steps', '3', '--seed', '18446744073709551615', '--scheduler', 'euler', '--guidance', '6.5');
    expect(run.stderr).not.toMatch(/DEMO/);
    expect(run.code).toBe(0);
    const meta = await sharp(output).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([96, 64, 'png']);
    const sidecar = JSON.parse(readFileSync(join(root.path, 'out', 'card.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      prompt: 'a tarot card of the moon',
      seed: '18446744073709551615',
      rng: 'torch',
      steps: 3,
      scheduler: 'euler',
      guidanceScale: 6.5,
      width: 96,
      height: 64,
      model: 'tiny',
      loras: [],
    });
    expect(run.stderr).toMatch(/3\/3/);
  });

  it('--num-images N writes N images with consecutive seeds', async () => {
    const output = join(root.path, 'multi', 'set.png');
    const run = await imagineer('generate', '--prompt', 'x', '--model', modelDir, '--output', output, '--width', '64', '--height', '64',
      '--steps', '1', '--seed', '41', '--num-images', '2');
    expect(run.code).toBe(0);
    const seeds = [1, 2].map((i) => JSON.parse(readFileSync(join(root.path, 'multi', `set-${i}.json`), 'utf8')).seed);
    expect(seeds).toEqual(['41', '42']);
  });

  it.each([
    [['--prompt', 'x', '--width', '100'], /--width: .*multiple of 8/],
    [['--prompt', 'x', '--steps', '0'], /--steps: .*1 … 150/],
    [['--prompt', 'x', '--guidance', 'lots'], /--guidance must be a number/],
    [['--prompt', 'x', '--scheduler', 'plms'], /--scheduler: .*dpmpp_2m/],
    [['--prompt', 'x', '--seed', '-3'], /--seed/],
    [['--prompt', 'x', '--seed=-3'], /--seed: seed must be an integer in 0 … 18446744073709551615/],
    [['--prompt', 'x', '--output', 'a.jpg'], /--output must name a .png file/],
    [['--prompt', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--width', '64'], /missing --prompt/],
  ])('bad input %j → exit 2 with a one-line message', async (args, message) => {
    const run = await imagineer('generate', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  it('a model folder that does not exist → exit 1 naming MODEL_MISSING and the folder', async () => {
    const missing = join(root.path, 'no-such-model');
    const run = await imagineer('generate', '--prompt', 'x', '--model', missing, '--output', join(root.path, 'never.png'), '--steps', '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MODEL_MISSING/);
    expect(run.stderr).toContain(missing);
    expect(existsSync(join(root.path, 'never.png'))).toBe(false);
  });
});
