import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ClipTokenizer } from '../../../server/engine/tokenizer/index.ts';

const REFERENCE_DIR = fileURLToPath(new URL('../../../server/engine/reference-sd15/tokenizer/', import.meta.url));

function folderWith(files: { vocab?: string | 'copy'; merges?: string | 'copy' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clip-tokenizer-'));
  for (const [name, content] of [
    ['vocab.json', files.vocab],
    ['merges.txt', files.merges],
  ] as const) {
    if (content === 'copy') copyFileSync(join(REFERENCE_DIR, name), join(dir, name));
    else if (content !== undefined) writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe('ClipTokenizer.fromDirectory', () => {
  it('loads a copy of the SD1.5 files and tokenizes like the default', () => {
    const tokenizer = ClipTokenizer.fromDirectory(folderWith({ vocab: 'copy', merges: 'copy' }));
    expect(tokenizer.tokenize('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
  });

  it('names a missing vocab.json', () => {
    expect(() => ClipTokenizer.fromDirectory(folderWith({ merges: 'copy' }))).toThrow(/vocab\.json/);
  });

  it('names a missing merges.txt', () => {
    expect(() => ClipTokenizer.fromDirectory(folderWith({ vocab: 'copy' }))).toThrow(/merges\.txt/);
  });

  it('names a vocab.json that is not JSON', () => {
    expect(() => ClipTokenizer.fromDirectory(folderWith({ vocab: '{"a": 1,', merges: 'copy' }))).toThrow(
      /vocab\.json is not valid JSON/,
    );
  });

  it('names a vocab.json without the special tokens', () => {
    expect(() => ClipTokenizer.fromDirectory(folderWith({ vocab: '{"a</w>": 0}', merges: 'copy' }))).toThrow(
      /vocab\.json lacks <\|startoftext\|>/,
    );
  });

  it('names a corrupt merges.txt line', () => {
    expect(() => ClipTokenizer.fromDirectory(folderWith({ vocab: 'copy', merges: '#version: 0.2\ni n\nbroken\n' }))).toThrow(
      /merges\.txt line 3/,
    );
  });
});
