export const END_OF_WORD = '</w>';

/**
 * Byte-level BPE over one pre-token whose bytes are already mapped to stand-in symbols.
 * Merges are applied lowest rank first, every occurrence of the chosen pair at once, as in CLIP.
 */
export class BytePairEncoder {
  constructor(
    /** `left + ' ' + right` → rank (stand-in symbols never contain a plain space). */
    private readonly ranks: ReadonlyMap<string, number>,
  ) {}

  encodeWord(word: string): string[] {
    const chars = Array.from(word);
    let symbols = [...chars.slice(0, -1), `${chars.at(-1) ?? ''}${END_OF_WORD}`];
    while (symbols.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < best) best = rank;
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`) === best) {
          merged.push(symbols[i] + symbols[i + 1]);
          i++;
        } else {
          merged.push(symbols[i]!);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}
