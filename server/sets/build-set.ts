import { basename, isAbsolute, relative, resolve } from 'node:path';

import { dimensionSchema, type SetEntry } from './config-schema.ts';
import { SetError } from './errors.ts';
import { joinPromptParts, MAX_PROMPT_CHARS } from './prompt.ts';
import { readSetCsv, type CsvRow } from './read-csv.ts';
import { uniqueSlugs } from './slug.ts';
import { fillTemplate, templateColumns } from './template.ts';
import type { CardSet, SetItem } from './types.ts';

/** CSV columns that, when present, override the set's settings for their row (blank = no override). */
export const ITEM_OVERRIDE_COLUMNS = ['negative_prompt', 'seed', 'width', 'height'] as const;
const MAX_SEED = 2n ** 64n - 1n;

/** Reads the set's CSV and checks it against the entry; every problem is a SetError INVALID_SET naming the set. */
export function buildCardSet(setsDir: string, id: string, entry: SetEntry, globalThemes: readonly string[]): CardSet {
  const fail = (problem: string): never => {
    throw new SetError(`set "${id}": ${problem}`, 'INVALID_SET', id);
  };

  const csvPath = resolve(setsDir, entry.csv_path);
  const inside = relative(setsDir, csvPath);
  if (isAbsolute(entry.csv_path) || inside.startsWith('..') || isAbsolute(inside)) {
    fail(`csv_path "${entry.csv_path}" must be a path inside the sets directory`);
  }
  const csvName = basename(csvPath);
  const table = readSetCsv(id, csvPath);

  const itemNameTemplate = entry.item_name ?? `{${table.columns[0]}}`;
  for (const [key, template] of [['prompt_template', entry.prompt_template], ['item_name', itemNameTemplate]] as const) {
    let columns: string[] = [];
    try {
      columns = templateColumns(template);
    } catch (error) {
      fail(`${key}: ${(error as Error).message}`);
    }
    for (const column of columns) {
      if (!table.columns.includes(column)) {
        fail(`${key} uses column "{${column}}", which ${csvName} does not have (its columns: ${table.columns.join(', ')})`);
      }
    }
  }
  const promptColumns = templateColumns(entry.prompt_template);

  const labels = table.rows.map((row) => fillTemplate(itemNameTemplate, row.values).replace(/\s+/g, ' ').trim());
  const slugs = uniqueSlugs(labels);
  const items = table.rows.map((row, index): SetItem => {
    const at = `${csvName} line ${row.line}`;
    for (const column of promptColumns) {
      if (/[{}]/.test(row.values[column] ?? '')) fail(`${at}, column "${column}": values must not contain "{" or "}"`);
    }
    const overrides = readOverrides(row, (problem) => fail(`${at}, ${problem}`));
    return {
      index,
      item: slugs[index] ?? `item_${index + 1}`,
      label: labels[index] ?? '',
      values: row.values,
      negativePrompt: overrides.negativePrompt ?? entry.negative_prompt,
      seed: overrides.seed,
      width: overrides.width ?? entry.width,
      height: overrides.height ?? entry.height,
      line: row.line,
    };
  });

  // The theme adds at most its own length; a row that is too long without one is the set's fault.
  for (const item of items) {
    const length = joinPromptParts([entry.base_prompt, fillTemplate(entry.prompt_template, item.values), entry.style_suffix]).length;
    if (length > MAX_PROMPT_CHARS) {
      fail(`${csvName} line ${item.line} ("${item.item}"): the prompt is ${length} characters before any theme, more than the ${MAX_PROMPT_CHARS} allowed`);
    }
  }

  return {
    id,
    name: entry.name,
    description: entry.description,
    csvPath,
    columns: table.columns,
    basePrompt: entry.base_prompt,
    promptTemplate: entry.prompt_template,
    styleSuffix: entry.style_suffix,
    exampleTheme: entry.example_theme ?? null,
    width: entry.width,
    height: entry.height,
    negativePrompt: entry.negative_prompt,
    loras: entry.loras,
    themes: [...(entry.themes ?? globalThemes)],
    items,
  };
}

interface RowOverrides {
  negativePrompt: string | null;
  seed: bigint | null;
  width: number | null;
  height: number | null;
}

function readOverrides(row: CsvRow, fail: (problem: string) => never): RowOverrides {
  const cell = (column: string): string => row.values[column] ?? '';
  const dimension = (column: 'width' | 'height'): number | null => {
    const text = cell(column);
    if (text === '') return null;
    const parsed = dimensionSchema.safeParse(/^\d+$/.test(text) ? Number(text) : Number.NaN);
    if (!parsed.success) fail(`column "${column}": "${text}" must be a whole number of pixels, a multiple of 8 within 64…2048`);
    return parsed.data ?? null;
  };
  const seedText = cell('seed');
  if (seedText !== '' && !(/^\d+$/.test(seedText) && BigInt(seedText) <= MAX_SEED)) {
    fail(`column "seed": "${seedText}" must be a whole number from 0 to 2^64 - 1`);
  }
  return {
    negativePrompt: cell('negative_prompt') || null,
    seed: seedText === '' ? null : BigInt(seedText),
    width: dimension('width'),
    height: dimension('height'),
  };
}
