import { afterEach, describe, expect, it, vi } from 'vitest';

import { tokenizeCommand } from '../../../server/cli/commands/tokenize.ts';
import { UsageError } from '../../../server/cli/errors.ts';

function capture() {
  const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('imagineer tokenize', () => {
  it('prints the 77 ids as a JSON array', async () => {
    const { out, err } = capture();
    expect(await tokenizeCommand.run(['a photo of a cat'])).toBe(0);
    const ids = JSON.parse(out.mock.calls[0]![0] as string) as number[];
    expect(ids).toHaveLength(77);
    expect(ids.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(err).not.toHaveBeenCalled();
  });

  it('warns on stderr when the prompt is truncated', async () => {
    const { out, err } = capture();
    await tokenizeCommand.run([`${Array<string>(75).fill('cat').join(' ')} red dragon`]);
    expect(JSON.parse(out.mock.calls[0]![0] as string)).toHaveLength(77);
    expect(err.mock.calls[0]![0]).toMatch(/77 tokens.*2 cut: "red dragon"/);
  });

  it('prints chunks with --chunks', async () => {
    const { out, err } = capture();
    await tokenizeCommand.run(['--chunks', Array<string>(100).fill('cat').join(' ')]);
    const chunks = JSON.parse(out.mock.calls[0]![0] as string) as number[][];
    expect(chunks.map((chunk) => chunk.length)).toEqual([77, 77]);
    expect(err).not.toHaveBeenCalled();
  });

  it('rejects a missing prompt and unknown flags as usage errors', async () => {
    await expect(tokenizeCommand.run([])).rejects.toThrow(UsageError);
    await expect(tokenizeCommand.run(['--nope', 'x'])).rejects.toThrow(UsageError);
  });
});
