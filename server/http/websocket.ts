import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { keyMatches, presentedKey } from './api-key.ts';
import { isCrossOrigin } from './same-origin.ts';
import type { ImagineerYoga } from './yoga.ts';

type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/** graphql-ws on the same path as Yoga, running operations through Yoga's envelop (same schema, context, masking). */
export function attachGraphqlWs(server: Server, yoga: ImagineerYoga, options: { apiKey?: string } = {}) {
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: 1024 * 1024,
    // Browsers apply no CORS to WebSockets: refuse pages of other sites here (see same-origin.ts).
    verifyClient: ({ req }: { req: IncomingMessage }) => !isCrossOrigin(req),
  });
  const handle = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: (ctx) => {
        if (!options.apiKey) return true;
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const fromParams = { get: (name: string) => (typeof params[name] === 'string' ? (params[name] as string) : undefined) };
        const headers = ctx.extra.request.headers;
        const fromHeaders = { get: (name: string) => headers[name] as string | undefined };
        return keyMatches(options.apiKey, presentedKey(fromParams) ?? presentedKey(fromHeaders));
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
    },
    wsServer,
  );
  return {
    wsServer,
    /** Closes every socket with 1001 (going away) and stops accepting new ones. */
    async close(): Promise<void> {
      await handle.dispose();
    },
  };
}
