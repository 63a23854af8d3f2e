/**
 * Starts a real Imagineer server for tests: random loopback port, temp data/output dirs, a real SQLite file,
 * and (unless told otherwise) the real engine worker on a freshly forged tiny model.
 *
 *   const server = await startTestServer();
 *   const { data } = await server.gql('{ health { status } }');
 *   const sub = server.subscribe('subscription($id: ID!) { jobProgress(jobId: $id) { step status } }', { id });
 *   await sub.done; sub.events …
 *   await server.close();
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../server/config/index.ts';
import { forgeModel } from '../../server/engine/forge/index.ts';
import { startServer, type RunningServer } from '../../server/http/index.ts';
import type { EngineHandle } from '../../server/queue/index.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string } & Record<string, unknown> }[];
}

export interface Subscription<T> {
  events: T[];
  /** Resolves when the server completes the subscription; rejects on an error. */
  done: Promise<void>;
  /** Resolves once `count` events have arrived. */
  waitFor(count: number): Promise<void>;
  dispose(): void;
}

export interface TestServer {
  url: string;
  wsUrl: string;
  port: number;
  root: string;
  dataDir: string;
  outputDir: string;
  configFile: string;
  config: LoadedConfig;
  running: RunningServer;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Reuse a folder (for restart tests); default a new temp dir removed on close. */
  root?: string;
  /** Model folder; default a tiny model forged into `<root>/model`. */
  modelDir?: string;
  /** Replaces the real engine (unit-level tests only). */
  engine?: EngineHandle;
  /** Extra config.yaml content, merged per section over the test defaults. */
  config?: Record<string, Record<string, unknown>>;
  clientDistDir?: string;
  keepRoot?: boolean;
}

/** Writes `<root>/config.yaml` for a test server (also usable for a child-process `imagineer serve`). */
export async function writeTestConfig(root: string, options: Pick<TestServerOptions, 'modelDir' | 'config'> = {}): Promise<string> {
  let modelDir = options.modelDir;
  if (!modelDir) {
    modelDir = path.join(root, 'model');
    await forgeModel({ preset: 'tiny', outDir: modelDir, seed: 7 });
  }
  const base: Record<string, Record<string, unknown>> = {
    model: { default: modelDir },
    generation: { width: 64, height: 64, steps: 2, guidance_scale: 7, negative_prompt: '', scheduler: 'euler' },
    output: { directory: path.join(root, 'outputs') },
    sets: { directory: path.join(root, 'sets') },
    lora: { directory: path.join(root, 'loras') },
    hardware: { device: 'cpu', threads: 1 },
    server: { host: '127.0.0.1', port: 0, data_dir: path.join(root, 'data') },
  };
  for (const [section, values] of Object.entries(options.config ?? {})) base[section] = { ...base[section], ...values };
  const file = path.join(root, 'config.yaml');
  writeFileSync(file, stringify(base));
  return file;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), 'imagineer-server-'));
  mkdirSync(root, { recursive: true });
  const configFile = await writeTestConfig(root, options);
  const config = loadConfig({ path: configFile, env: {} });
  const logs: string[] = [];
  const running = await startServer({
    config,
    engine: options.engine,
    clientDistDir: options.clientDistDir ?? path.join(root, 'no-client'),
    log: (line) => logs.push(line),
  });
  const wsUrl = `${running.url.replace(/^http/, 'ws')}/graphql`;
  const clients: Client[] = [];

  const gql = async <T,>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> => {
    const response = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  };

  const subscribe = <T,>(query: string, variables?: Record<string, unknown>): Subscription<T> => {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    const events: T[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    let unsubscribe = () => {};
    const done = new Promise<void>((resolve, reject) => {
      unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            if (value.errors?.length) {
              reject(new Error(JSON.stringify(value.errors)));
              return;
            }
            events.push(value.data as T);
            for (const w of waiters.filter((w) => events.length >= w.count)) w.resolve();
          },
          error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => resolve(),
        },
      );
    });
    done.catch(() => undefined);
    return {
      events,
      done,
      waitFor: (count) =>
        events.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
      dispose: () => {
        unsubscribe();
        void client.dispose();
      },
    };
  };

  return {
    url: running.url,
    wsUrl,
    port: running.port,
    root,
    dataDir: config.server.data_dir,
    outputDir: config.output.directory,
    configFile,
    config,
    running,
    gql,
    subscribe,
    async close() {
      for (const client of clients) await client.dispose();
      await running.close();
      if (!options.root && !options.keepRoot) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls `check` (a query) until it returns true; no wall-clock assertions, only a generous give-up. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what = 'condition', tries = 3000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
