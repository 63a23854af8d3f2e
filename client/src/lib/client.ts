import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/svelte';
import { createClient as createWsClient } from 'graphql-ws';
import { connection } from './connection.svelte.ts';

const RETRY_CAP_MS = 5000;

function graphqlWsUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/graphql`;
}

/** urql over HTTP for queries and mutations, graphql-ws for subscriptions; the socket retries for ever. */
export function createImagineerClient(): Client {
  let everConnected = false;
  const ws = createWsClient({
    url: graphqlWsUrl(),
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_CAP_MS, 300 * 2 ** retries))),
    on: {
      connected: () => {
        if (everConnected) connection.epoch += 1;
        everConnected = true;
        connection.status = 'connected';
      },
      closed: () => {
        connection.status = everConnected ? 'reconnecting' : 'connecting';
      },
    },
  });

  return new Client({
    url: '/graphql',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
