const MAX_SLUG_LENGTH = 60;

/** "Ace of Spades" → "ace_of_spades"; "Éclair / 10" → "eclair_10"; '' when nothing usable is left. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^_+|_+$/g, '');
}

/** Slugs for each name in order, unique: blanks become item_{n}, repeats get _2, _3, … */
export function uniqueSlugs(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name, index) => {
    const base = slugify(name) || `item_${index + 1}`;
    let slug = base;
    for (let n = 2; taken.has(slug); n += 1) slug = `${base}_${n}`;
    taken.add(slug);
    return slug;
  });
}
