import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitUntil, writeTestConfig } from '../helpers/server.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'imagineer-restart-'));
const children: ChildProcess[] = [];

/** `node bin/imagineer.mjs serve` as a child process; resolves with its URL once it listens. */
async function serve(configFile: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/imagineer.mjs'), 'serve'], {
    cwd: root,
    env: { ...process.env, IMAGINEER_CONFIG: configFile, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, exited };
}

async function gql<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('imagineer serve as a process', () => {
  it('finishes a job that was running when the server was killed (SIGKILL), after a restart on the same data', async () => {
    const configFile = await writeTestConfig(root);
    const first = await serve(configFile);
    const { generate } = await gql<{ generate: { jobs: { id: string }[] } }>(
      first.url,
      `mutation { generate(input: { prompt: "a ship in a storm", width: 128, height: 128, steps: 60, seed: "99" }) { jobs { id } } }`,
    );
    const jobId = generate.jobs[0].id;

    // Wait for a few steps over graphql-ws, then kill without any chance to clean up.
    const client = createClient({ url: `${first.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    await new Promise<void>((resolve, reject) => {
      const stop = client.subscribe<{ jobProgress: { step: number } }>(
        { query: `subscription($id: ID!) { jobProgress(jobId: $id) { step } }`, variables: { id: jobId } },
        {
          next: (value) => {
            if ((value.data?.jobProgress.step ?? 0) >= 3) {
              stop();
              resolve();
            }
          },
          error: reject,
          complete: () => reject(new Error('job ended before the kill')),
        },
      );
    });
    first.child.kill('SIGKILL');
    await first.exited;
    await client.dispose();

    const second = await serve(configFile);
    type JobState = { job: { status: string; attempts: number; imageUrl: string | null; seed: string } };
    let state: JobState | undefined;
    await waitUntil(async () => {
      state = await gql<JobState>(second.url, `query($id: ID!) { job(id: $id) { status attempts imageUrl seed } }`, { id: jobId });
      return state.job.status === 'SUCCEEDED' || state.job.status === 'FAILED';
    }, 'the recovered job to finish');
    expect(state!.job).toMatchObject({ status: 'SUCCEEDED', attempts: 2, seed: '99' });
    const png = await fetch(`${second.url}${state!.job.imageUrl}`);
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);

    // SIGTERM: graceful stop, exit code 0.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('on SIGTERM closes subscriptions with 1001, puts the running job back in the queue and exits 0; the next start finishes it', async () => {
    const configFile = await writeTestConfig(root);
    const first = await serve(configFile);
    // A second server on the same data directory would re-queue this one's running job: it refuses to start.
    const rival = spawn(process.execPath, [path.join(repoRoot, 'bin/imagineer.mjs'), 'serve'], {
      env: { ...process.env, IMAGINEER_CONFIG: configFile, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(rival);
    let rivalError = '';
    rival.stderr!.on('data', (chunk: Buffer) => (rivalError += chunk.toString()));
    expect(await new Promise((resolve) => rival.on('exit', resolve))).toBe(1);
    expect(rivalError).toContain(`another imagineer server (pid ${first.child.pid}) is using the data directory`);

    const { generate } = await gql<{ generate: { jobs: { id: string }[] } }>(
      first.url,
      `mutation { generate(input: { prompt: "a quiet harbour", width: 128, height: 128, steps: 60, seed: "3" }) { jobs { id } } }`,
    );
    const jobId = generate.jobs[0].id;

    let closeCode: number | undefined;
    const client = createClient({
      url: `${first.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => (closeCode = (event as { code: number }).code) },
    });
    const statuses: string[] = [];
    const ended = new Promise<void>((resolve) => {
      client.subscribe<{ jobProgress: { step: number; status: string } }>(
        { query: `subscription($id: ID!) { jobProgress(jobId: $id) { step status } }`, variables: { id: jobId } },
        {
          next: (value) => {
            statuses.push(value.data!.jobProgress.status);
            const { step, status } = value.data!.jobProgress;
            if (step >= 3 && status === 'RUNNING' && !first.child.killed) first.child.kill('SIGTERM');
          },
          error: () => resolve(),
          complete: () => resolve(),
        },
      );
    });
    expect(await first.exited).toBe(0);
    await ended;
    expect(closeCode).toBe(1001);
    expect(statuses.at(-1)).toBe('QUEUED');

    const second = await serve(configFile);
    type JobState = { job: { status: string; attempts: number } };
    let state: JobState | undefined;
    await waitUntil(async () => {
      state = await gql<JobState>(second.url, `query($id: ID!) { job(id: $id) { status attempts } }`, { id: jobId });
      return state.job.status === 'SUCCEEDED' || state.job.status === 'FAILED';
    }, 'the re-queued job to finish');
    expect(state!.job).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses a corrupt database with a clear message and leaves the file alone', async () => {
    const corruptRoot = mkdtempSync(path.join(tmpdir(), 'imagineer-corrupt-'));
    try {
      const configFile = await writeTestConfig(corruptRoot, { modelDir: path.join(root, 'model') });
      const { mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
      mkdirSync(path.join(corruptRoot, 'data'), { recursive: true });
      const dbFile = path.join(corruptRoot, 'data', 'imagineer.db');
      writeFileSync(dbFile, 'this is not a database'.repeat(100));
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin/imagineer.mjs'), 'serve'], {
        env: { ...process.env, IMAGINEER_CONFIG: configFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toMatch(/imagineer serve: the job database .*imagineer\.db cannot be opened \(file is not a database\)/);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(dbFile, 'utf8')).toBe('this is not a database'.repeat(100));
    } finally {
      rmSync(corruptRoot, { recursive: true, force: true });
    }
  });
});
