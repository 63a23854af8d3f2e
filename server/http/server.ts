import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateConfigFile, type ConfigPatch, type LoadedConfig } from '../config/index.ts';
import { createRepositories, lockDataDir, openDatabase } from '../db/index.ts';
import type { ServerServices } from '../graphql/index.ts';
import { createJobSystem, createQueuePubSub, startEngineRunner, type EngineHandle, type JobSystem } from '../queue/index.ts';
import { createRequestHandler } from './router.ts';
import { attachGraphqlWs } from './websocket.ts';
import { createImagineerYoga } from './yoga.ts';
import { listLoraNames } from './lora-names.ts';
import { engineOptionsFromConfig } from '../worker/engine-options.ts';

export interface ServerOptions {
  config: LoadedConfig;
  /** Default: the engine worker thread on config.model.default. */
  engine?: EngineHandle;
  /** Default: client/dist of this checkout. */
  clientDistDir?: string;
  log?: (line: string) => void;
  /** Carries job events between processes (e.g. @graphql-yoga/redis-event-target); default in-process. */
  eventTarget?: EventTarget;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  services: ServerServices;
  jobs: JobSystem;
  /** Graceful stop: no new requests, the running job re-queued, sockets closed with 1001, engine and database closed. */
  close(): Promise<void>;
}

const packageVersion = (): string => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let config = options.config;
  mkdirSync(config.server.data_dir, { recursive: true });
  const unlock = lockDataDir(config.server.data_dir);
  let database: ReturnType<typeof openDatabase>;
  try {
    database = openDatabase(config.server.data_dir);
  } catch (error) {
    unlock();
    throw error;
  }
  const repos = createRepositories(database.db);
  const pubSub = createQueuePubSub(options.eventTarget);
  const engine =
    options.engine ??
    startEngineRunner({
      ...engineOptionsFromConfig(config),
      modelName: config.model.default,
      saveMetadata: () => config.output.save_metadata,
      log,
    });
  const jobs = createJobSystem({ repos, runner: engine.runner, pubSub, outputDir: config.output.directory, log });
  const configFile = config.source;
  const services: ServerServices = {
    repos,
    queue: jobs.queue,
    events: jobs.events,
    pubSub,
    config: () => config,
    updateConfig: configFile
      ? (patch: ConfigPatch) => {
          const updated = updateConfigFile(configFile, patch);
          // Only the allowlisted keys change at run time; paths, server and model stay as started.
          config = { ...config, generation: updated.generation, output: { ...config.output, save_metadata: updated.output.save_metadata }, lora: { ...config.lora, strict: updated.lora.strict } };
          return config;
        }
      : undefined,
    engine: () => engine.status(),
    loraNames: () => listLoraNames(config.lora.directory),
    startedAt: Date.now(),
    version: packageVersion(),
  };

  const yoga = createImagineerYoga(services, { apiKey: config.server.api_key, log });
  const handler = createRequestHandler({
    services,
    yoga,
    outputDir: () => config.output.directory,
    loraDir: () => config.lora.directory,
    clientDistDir: options.clientDistDir ?? fileURLToPath(new URL('../../client/dist', import.meta.url)),
    log,
    apiKey: config.server.api_key,
    thumbnailDir: path.join(config.server.data_dir, 'thumbnails'),
  });
  const server = createServer((req, res) => void handler(req, res));
  const ws = attachGraphqlWs(server, yoga, { apiKey: config.server.api_key });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await engine.close();
    database.close();
    unlock();
    throw error;
  }
  jobs.worker.start();

  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    host: address.address,
    port: address.port,
    server,
    services,
    jobs,
    close: () =>
      (closing ??= (async () => {
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await jobs.worker.stop();
        // Let subscriptions send the re-queued state before their sockets close.
        await new Promise((resolve) => setImmediate(resolve));
        await ws.close();
        await engine.close();
        server.closeAllConnections();
        await httpClosed;
        database.close();
        unlock();
      })()),
  };
}
