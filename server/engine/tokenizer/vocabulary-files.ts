import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VocabularyFiles {
  vocab: Map<string, number>;
  /** `left + ' ' + right` → rank, in file order. */
  mergeRanks: Map<string, number>;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`CLIP tokenizer: cannot read ${path}: ${(error as Error).message}`);
  }
}

function parseVocab(path: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(path));
  } catch (error) {
    if ((error as Error).message.startsWith('CLIP tokenizer:')) throw error;
    throw new Error(`CLIP tokenizer: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`CLIP tokenizer: ${path} must be a JSON object of token → id`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(parsed)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new Error(`CLIP tokenizer: ${path} has a bad id for ${JSON.stringify(token)}: ${String(id)}`);
    }
    vocab.set(token, id as number);
  }
  return vocab;
}

function parseMerges(path: string): Map<string, number> {
  const ranks = new Map<string, number>();
  const lines = readText(path).split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line === '' || (index === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Error(`CLIP tokenizer: ${path} line ${index + 1} is not a merge pair: ${JSON.stringify(line.slice(0, 40))}`);
    }
    const key = `${parts[0]} ${parts[1]}`;
    if (!ranks.has(key)) ranks.set(key, ranks.size);
  });
  if (ranks.size === 0) throw new Error(`CLIP tokenizer: ${path} holds no merges`);
  return ranks;
}

/** Reads `vocab.json` and `merges.txt` (Hugging Face CLIPTokenizer layout) from one folder. */
export function readVocabularyFiles(dir: string): VocabularyFiles {
  return { vocab: parseVocab(join(dir, 'vocab.json')), mergeRanks: parseMerges(join(dir, 'merges.txt')) };
}
