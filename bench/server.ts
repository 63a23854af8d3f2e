/**
 * Server benchmark (run by hand: `npm run bench -- server`; results in bench/results/server.json):
 * - queries/s for `health` and for a 50-item `jobs` page (bounded loops over loopback, 8 requests in flight);
 * - latency from a worker step (the moment its event is published) to each of 100 graphql-ws subscribers,
 *   which run in a child process so they do not share the server's event loop;
 * - event-loop delay of the server process while a job runs, with and without those subscribers.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startTestServer, type TestServer } from '../tests/helpers/server.ts';

const IN_FLIGHT = 8;
const SUBSCRIBERS = 100;
const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

async function queriesPerSecond(server: TestServer, query: string, total: number): Promise<{ requests: number; seconds: number; perSecond: number }> {
  const body = JSON.stringify({ query });
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { errors?: unknown };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
    }
  };
  await worker(); // warm-up request
  next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { requests: total, seconds: round(seconds, 3), perSecond: round(total / seconds, 1) };
}

async function runJob(server: TestServer, input: string): Promise<string> {
  const result = await server.gql<{ generate: { jobs: { id: string }[] } }>(`mutation { generate(input: { ${input} }) { jobs { id } } }`);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.generate.jobs[0].id;
}

async function waitForStatus(server: TestServer, id: string, statuses: string[]): Promise<void> {
  for (;;) {
    const r = await server.gql<{ job: { status: string } }>(`query($id: ID!) { job(id: $id) { status } }`, { id });
    if (statuses.includes(r.data!.job.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function loopDelay() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  return () => {
    histogram.disable();
    return { p50Ms: round(histogram.percentile(50) / 1e6), p99Ms: round(histogram.percentile(99) / 1e6), maxMs: round(histogram.max / 1e6) };
  };
}

export async function runServerBench() {
  const server = await startTestServer({ config: { generation: { scheduler: 'euler' } } });
  try {
    // History for the jobs page: 200 finished rows written straight to the database.
    server.running.services.repos.jobs.insertMany(
      Array.from({ length: 200 }, (_, i) => ({
        status: 'SUCCEEDED' as const,
        prompt: `bench prompt ${i}`,
        width: 64,
        height: 64,
        steps: 2,
        totalSteps: 2,
        step: 2,
        guidanceScale: 7,
        seed: String(i),
        scheduler: 'euler',
        rng: 'torch',
        createdAt: Date.now(),
      })),
    );
    const health = await queriesPerSecond(server, '{ health { status queue { queued } } }', 3000);
    const jobsPage = await queriesPerSecond(server, '{ jobs(first: 50) { edges { cursor node { id status prompt seed width height step totalSteps createdAt imageUrl } } pageInfo { hasNextPage } } }', 1000);

    // A job with no subscribers: the server's own event-loop delay while the engine works.
    const job = 'prompt: "bench", width: 256, height: 256, steps: 40, seed: "1"';
    const blockerInput = 'prompt: "hold", width: 512, height: 512, steps: 150, seed: "2"';
    const stopIdle = loopDelay();
    const quiet = await runJob(server, job);
    await waitForStatus(server, quiet, ['SUCCEEDED']);
    const loopWithoutSubscribers = stopIdle();

    // 100 subscribers on a queued job (a long job holds the worker until all are subscribed).
    const blocker = await runJob(server, blockerInput);
    await waitForStatus(server, blocker, ['RUNNING']);
    const watched = await runJob(server, job);
    const publishedAt = new Map<number, number>();
    const pubSub = server.running.services.pubSub;
    const publish = pubSub.publish.bind(pubSub);
    const watchedRowId = Number(Buffer.from(watched, 'base64').toString('utf8').split(':')[1]);
    pubSub.publish = ((...args: unknown[]) => {
      if (args[0] === 'jobProgress' && args[1] === watchedRowId) publishedAt.set((args[2] as { sequence: number }).sequence, now());
      (publish as (...a: unknown[]) => void)(...args);
    }) as typeof publish;

    let loopWithSubscribers: ReturnType<ReturnType<typeof loopDelay>> | undefined;
    const child = fork(fileURLToPath(new URL('./server-subscribers.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
    const arrivals = await new Promise<{ subscriber: number; sequence: number; at: number }[]>((resolve, reject) => {
      let stopLoop: (() => ReturnType<ReturnType<typeof loopDelay>>) | undefined;
      child.on('message', (message: { type: string; arrivals?: { subscriber: number; sequence: number; at: number }[]; error?: string }) => {
        if (message.type === 'ready') {
          stopLoop = loopDelay();
          void server.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: blocker });
        } else if (message.type === 'done') {
          loopWithSubscribers = stopLoop?.();
          resolve(message.arrivals!);
        } else reject(new Error(message.error));
      });
      child.on('exit', (code) => code !== 0 && reject(new Error(`subscriber process exited with ${code}`)));
      child.send({ wsUrl: server.wsUrl, jobId: watched, subscribers: SUBSCRIBERS });
    });
    const latencies = arrivals
      .filter((a) => publishedAt.has(a.sequence))
      .map((a) => a.at - publishedAt.get(a.sequence)!)
      .sort((a, b) => a - b);
    return {
      note: 'loopback, server in this process, subscribers in a child process; tiny forged model on CPU',
      healthQueries: health,
      jobsPage50Queries: jobsPage,
      stepToSubscribers: {
        subscribers: SUBSCRIBERS,
        events: publishedAt.size,
        deliveries: latencies.length,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies.at(-1) ?? Number.NaN),
      },
      eventLoopDelay: { jobWithoutSubscribers: loopWithoutSubscribers, jobWith100Subscribers: loopWithSubscribers, job: '256×256, 40 steps, previews on' },
    };
  } finally {
    await server.close();
  }
}
