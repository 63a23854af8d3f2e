import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { Plugin } from 'graphql-yoga';

type GraphQLArmorConfig = NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>;

/**
 * Limits on the shape of a GraphQL document, checked before it runs. Sized from the client's own documents
 * (tests/integration/access.test.ts checks they all pass): the deepest is the job page with its batch and images.
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 30,
  maxTokens: 2000,
  maxCost: 10_000,
} as const;

export function armorConfig(limits = GRAPHQL_LIMITS): GraphQLArmorConfig {
  return {
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { n: limits.maxTokens },
    costLimit: { maxCost: limits.maxCost },
    // Masked errors already hide internals; suggestions would list field names to a stranger.
    blockFieldSuggestion: { enabled: true },
  };
}

/** graphql-armor as a Yoga plugin (depth, aliases, directives, tokens, cost). */
export function armorPlugin(limits = GRAPHQL_LIMITS): Plugin {
  return EnvelopArmorPlugin(armorConfig(limits)) as Plugin;
}
