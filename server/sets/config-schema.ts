import { z } from 'zod';

export const SET_ID_PATTERN = /^[a-z0-9_-]+$/;
export const MIN_DIMENSION = 64;
export const MAX_DIMENSION = 2048;

/** Width or height in pixels: a multiple of 8 (the VAE's scale) within 64…2048. */
export const dimensionSchema = z
  .int()
  .min(MIN_DIMENSION, { message: `must be at least ${MIN_DIMENSION}` })
  .max(MAX_DIMENSION, { message: `must be at most ${MAX_DIMENSION}` })
  .refine((value) => value % 8 === 0, { message: 'must be a multiple of 8' });

const noPlaceholders = () =>
  z.string().refine((text) => !/[{}]/.test(text), {
    message: 'must not contain "{" or "}" (only prompt_template and item_name take {column} placeholders)',
  });

export const loraReferenceSchema = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty' }),
  weight: z.number().default(1),
});
export type LoraReference = z.infer<typeof loraReferenceSchema>;

const themeSchema = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(200, { message: 'must be at most 200 characters' })
  .refine((theme) => !/[\r\n{}]/.test(theme), { message: 'must be one line without "{" or "}"' });

/** One entry under `sets:` in sets/config.yaml; the key is the set id. */
export const setEntrySchema = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty' }),
  description: z.string().trim().default(''),
  csv_path: z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .refine((path) => path.toLowerCase().endsWith('.csv'), { message: 'must name a .csv file' }),
  /** Template of the row's item name (slugged: "Ace of Spades" → ace_of_spades); default: the first column. */
  item_name: z.string().trim().min(1).optional(),
  base_prompt: noPlaceholders().default(''),
  prompt_template: z.string().trim().min(1, { message: 'must not be empty' }),
  style_suffix: noPlaceholders().default(''),
  example_theme: themeSchema.optional(),
  width: dimensionSchema,
  height: dimensionSchema,
  negative_prompt: noPlaceholders().default(''),
  loras: z.array(loraReferenceSchema).default([]),
  /** Themes for randomTheme(setId); the global list when absent. */
  themes: z.array(themeSchema).optional(),
});
export type SetEntry = z.infer<typeof setEntrySchema>;

/** The file's outer shape; set entries are validated one by one so that a broken set hides no other. */
export const setsFileSchema = z.strictObject({
  themes: z.array(themeSchema).default([]),
  sets: z.record(z.string(), z.unknown()),
});
