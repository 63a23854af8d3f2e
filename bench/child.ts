import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** Runs a bench script in a fresh Node process (cold start, own RSS) and parses the JSON line it prints last. */
export function runChild<T>(script: string, plan: unknown, timeoutMs = 15 * 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(REPO, 'bin/run-ts.mjs'), join(REPO, 'bench', script), JSON.stringify(plan)],
      { cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`${script} printed no JSON result:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
