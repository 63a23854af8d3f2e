import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { DatabaseUnusableError, DataDirLockedError } from '../../db/index.ts';
import type { Command } from '../command.ts';
import { UsageError, UserFacingError } from '../errors.ts';

function parse(args: string[]) {
  try {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    });
    if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new UsageError(`--port must be an integer in 0 … 65535, got ${JSON.stringify(values.port)}`);
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the GraphQL server (GraphiQL and subscriptions at /graphql), the job queue and the web client.',
  usage:
    'imagineer serve [--config FILE] [--host HOST] [--port N]\n\n' +
    '  --config FILE  config.yaml to use (default: $IMAGINEER_CONFIG or ./config.yaml)\n' +
    '  --host HOST    listen address (default server.host, 127.0.0.1)\n' +
    '  --port N       listen port (default $PORT or server.port, 10050; 0 = any free port)\n\n' +
    'SIGINT/SIGTERM stop it gracefully: the running job goes back to the queue and resumes at the next start.',
  async run(args) {
    const options = parse(args);
    let config;
    try {
      config = loadConfig({ path: options.config });
    } catch (error) {
      if (error instanceof ConfigError) throw new UserFacingError(error.message);
      throw error;
    }
    if (options.port !== undefined) config.server.port = Number(options.port);
    if (options.host !== undefined) config.server.host = options.host;

    const { startServer } = await import('../../http/index.ts');
    let server;
    try {
      server = await startServer({ config });
    } catch (error) {
      if (error instanceof DatabaseUnusableError || error instanceof DataDirLockedError) throw new UserFacingError(error.message);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new UserFacingError(`cannot listen on ${config.server.host}:${config.server.port} (${code}); pick another --port or server.port`);
      }
      throw error;
    }
    console.log(`imagineer: listening on ${server.url} (GraphQL at ${server.url}/graphql)`);

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`imagineer: ${signal} again, exiting at once`);
          process.exit(130);
        }
        stopping = true;
        console.error(`imagineer: ${signal}, shutting down`);
        server.close().then(resolve, (error: unknown) => {
          console.error(`imagineer: shutdown failed: ${(error as Error).stack ?? String(error)}`);
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
