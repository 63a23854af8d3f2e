export { startServer, type RunningServer, type ServerOptions } from './server.ts';
export { resolveInsideRoot, type SandboxResult } from './sandboxed-path.ts';
