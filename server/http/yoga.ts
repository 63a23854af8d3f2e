import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { buildSchema, type GraphQLContext, type ServerServices } from '../graphql/index.ts';
import { apiKeyPlugin } from './api-key.ts';
import { armorPlugin } from './plugins/armor.ts';
import { jsonOnlyPostsPlugin } from './plugins/json-only.ts';

export type ImagineerYoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/** Yoga at /graphql with GraphiQL (subscriptions over graphql-ws); errors that are not GraphQLErrors are masked. */
export function createImagineerYoga(services: ServerServices, options: { apiKey?: string; log?: (line: string) => void } = {}): ImagineerYoga {
  const plugins: Plugin[] = [jsonOnlyPostsPlugin(), armorPlugin()];
  if (options.apiKey) plugins.push(apiKeyPlugin(options.apiKey));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    context: { services },
    maskedErrors: { isDev: false },
    graphiql: { subscriptionsProtocol: 'WS', title: 'Imagineer GraphQL' },
    // The bundled GraphiQL: the playground works offline (Yoga's default loads it from a CDN).
    renderGraphiQL,
    landingPage: false,
    // Same-origin only: the client is served by this server (cross-origin requests are refused in router.ts).
    cors: false,
    plugins,
    logging: {
      debug: () => undefined,
      info: () => undefined,
      warn: (...args: unknown[]) => log(`graphql: ${args.map(String).join(' ')}`),
      error: (...args: unknown[]) => log(`graphql: ${args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(' ')}`),
    },
  });
}
