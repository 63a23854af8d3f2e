import type { CombinedError } from '@urql/svelte';

/** One line per problem, as a person would want to read it. */
export function errorMessages(error: CombinedError | null | undefined): string[] {
  if (!error) return [];
  if (error.networkError) return [`Server error: ${error.networkError.message}`];
  const messages = error.graphQLErrors.map((e) => {
    const field = e.extensions?.field;
    return typeof field === 'string' && !e.message.includes(field) ? `${field}: ${e.message}` : e.message;
  });
  return messages.length ? messages : [error.message];
}

/** Field name → message, for forms that show a message next to the input it is about. */
export function fieldErrors(error: CombinedError | null | undefined): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const e of error?.graphQLErrors ?? []) {
    const field = e.extensions?.field;
    if (typeof field === 'string') byField[field] = e.message;
  }
  return byField;
}
