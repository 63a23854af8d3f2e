#!/usr/bin/env node
// Builds client/dist when it is missing or older than any client source, so `npm start` always serves a current UI.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(clientDir);
export const clientDistDir = path.join(clientDir, 'dist');

function newestMtime(entry) {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

export function clientIsStale() {
  const builtIndex = path.join(clientDistDir, 'index.html');
  if (!existsSync(builtIndex)) return true;
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => path.join(clientDir, name));
  const newestSource = Math.max(...sources.filter(existsSync).map(newestMtime));
  return newestSource > statSync(builtIndex).mtimeMs;
}

/** Returns true when it built. Throws when the build fails. */
export function buildClientIfStale({ quiet = false } = {}) {
  if (!clientIsStale()) return false;
  const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    // Installed without dev dependencies: the server still starts and explains that the client is not built.
    console.warn('client/dist is missing or stale and Vite is not installed (npm install without --omit=dev builds it)');
    return false;
  }
  const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(clientDir, 'vite.config.ts'), '--logLevel', quiet ? 'error' : 'info'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`client build failed (exit ${result.status})`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildClientIfStale();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
