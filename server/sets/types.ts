import type { LoraReference } from './config-schema.ts';

export type { LoraReference };

/** A loaded, validated set: its config entry plus its CSV rows. */
export interface CardSet {
  /** The key in sets/config.yaml. */
  id: string;
  name: string;
  description: string;
  /** Absolute path of the CSV. */
  csvPath: string;
  /** CSV header names, in file order. */
  columns: string[];
  basePrompt: string;
  promptTemplate: string;
  styleSuffix: string;
  exampleTheme: string | null;
  width: number;
  height: number;
  negativePrompt: string;
  loras: LoraReference[];
  /** The set's own themes, else the global list. */
  themes: string[];
  items: SetItem[];
}

/** One CSV row, with its optional per-item overrides already applied. */
export interface SetItem {
  /** 0-based row position. */
  index: number;
  /** Safe slug, unique within the set: ace_of_spades, the_fool, aries. */
  item: string;
  /** The unslugged item name ("Ace of Spades"). */
  label: string;
  /** Trimmed values by column name. */
  values: Record<string, string>;
  /** The row's negative_prompt column, else the set's. */
  negativePrompt: string;
  /** The row's seed column, or null. */
  seed: bigint | null;
  /** The row's width/height columns, else the set's. */
  width: number;
  height: number;
  /** 1-based CSV line, for messages. */
  line: number;
}

/** A set that failed to load; the other sets still load. */
export interface SetLoadError {
  setId: string;
  message: string;
}

export interface SetListing {
  sets: CardSet[];
  errors: SetLoadError[];
}
