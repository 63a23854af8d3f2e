// Child process of bench/server.ts: opens N graphql-ws connections, subscribes each to one job's progress,
// and reports every event's arrival time (epoch ms, sub-millisecond) to the parent over IPC.
import { performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

interface Start {
  wsUrl: string;
  jobId: string;
  subscribers: number;
}

const now = () => performance.timeOrigin + performance.now();

process.once('message', (message: Start) => {
  const arrivals: { subscriber: number; sequence: number; at: number }[] = [];
  let ready = 0;
  let finished = 0;
  for (let s = 0; s < message.subscribers; s++) {
    const client = createClient({ url: message.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    client.subscribe<{ jobProgress: { sequence: number; status: string } }>(
      { query: 'subscription($id: ID!) { jobProgress(jobId: $id) { sequence status } }', variables: { id: message.jobId } },
      {
        next: (value) => {
          const event = value.data!.jobProgress;
          if (event.status === 'QUEUED') {
            ready += 1;
            if (ready === message.subscribers) process.send!({ type: 'ready' });
            return;
          }
          arrivals.push({ subscriber: s, sequence: event.sequence, at: now() });
        },
        error: (error) => process.send!({ type: 'error', error: String(error) }),
        complete: () => {
          finished += 1;
          void client.dispose();
          if (finished === message.subscribers) process.send!({ type: 'done', arrivals }, () => process.exit(0));
        },
      },
    );
  }
});
