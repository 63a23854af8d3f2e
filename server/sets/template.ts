/**
 * `{column}` templates. A placeholder whose value is empty is dropped together with the text that
 * joins it to the placeholder before it, so "{value} of {suit} card" with no suit reads "Red Joker card".
 */

const PLACEHOLDER = /\{([^{}]*)\}/g;

interface ParsedTemplate {
  lead: string;
  /** Each placeholder with the literal text that precedes it (after the previous placeholder). */
  slots: { joiner: string; column: string }[];
  trail: string;
}

/** Column names used by the template, in order of first use; throws on stray or empty braces. */
export function templateColumns(template: string): string[] {
  return [...new Set(parseTemplate(template).slots.map((slot) => slot.column))];
}

export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const { lead, slots, trail } = parseTemplate(template);
  let text = lead;
  let placed = 0;
  for (const { joiner, column } of slots) {
    const value = values[column];
    if (value === undefined) throw new Error(`template uses column "${column}", which the row does not have`);
    if (value.trim() === '') continue;
    text += (placed > 0 ? joiner : '') + value;
    placed += 1;
  }
  return text + trail;
}

/** True when the text still holds something that looks like a `{placeholder}`. */
export function hasPlaceholder(text: string): boolean {
  return /\{[^{}]*\}/.test(text);
}

function parseTemplate(template: string): ParsedTemplate {
  const slots: ParsedTemplate['slots'] = [];
  let lead = '';
  let cursor = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const literal = template.slice(cursor, match.index);
    assertNoStrayBrace(literal);
    const column = (match[1] ?? '').trim();
    if (column === '') throw new Error('template has an empty placeholder "{}"');
    if (slots.length === 0) lead = literal;
    slots.push({ joiner: slots.length === 0 ? '' : literal, column });
    cursor = match.index + match[0].length;
  }
  const trail = template.slice(cursor);
  assertNoStrayBrace(trail);
  return slots.length === 0 ? { lead: '', slots, trail: template } : { lead, slots, trail };
}

function assertNoStrayBrace(literal: string): void {
  if (/[{}]/.test(literal)) throw new Error(`template has an unmatched brace near "${literal.trim().slice(0, 40)}"`);
}
