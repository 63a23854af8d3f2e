import type { z } from 'zod';

/** "key "width": must be a multiple of 8 (got 513)" for each issue, joined with "; ". */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues.map((issue) => describeIssue(issue, input)).join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const where = path.length > 0 ? ` in "${path.join('.')}"` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}`;
  }
  const value = valueAt(input, issue.path);
  const key = path.length > 0 ? `key "${path.join('.')}"` : 'value';
  const got = value.found ? ` (got ${showValue(value.value)})` : ' (missing)';
  return `${key}: ${issue.message}${got}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !(segment in current)) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { found: current !== undefined, value: current };
}

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
