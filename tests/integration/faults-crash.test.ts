/**
 * Faults (issue 10, item 5): SIGKILL of a child-process server while it writes PNGs, then a restart;
 * a bounded soak of 200 tiny jobs with the RSS growth measured.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, writeTestConfig, type TestServer } from '../helpers/server.ts';

const GENERATE = 'mutation($input: GenerateInput!) { generate(input: $input) { jobs { id } } }';
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
}

describe('crash and soak', () => {
  it('SIGKILL while PNGs are written leaves no partial .png and a consistent database after restart', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'imagineer-crash-'));
    roots.push(root);
    const configFile = await writeTestConfig(root);
    const child = spawn(process.execPath, ['bin/imagineer.mjs', 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+?) /.exec(out);
        if (match) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const post = (query: string, variables: Record<string, unknown>) =>
      fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());
    await post(GENERATE, { input: { prompt: 'crash', numImages: 30, steps: 1, width: 64, height: 64 } });
    const outputs = path.join(root, 'outputs');
    // Kill once a few images are out, i.e. while the next ones are being written.
    await waitUntil(() => listFiles(outputs).filter((f) => f.endsWith('.png')).length >= 3, 'first images', 6000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const pngs = listFiles(outputs).filter((f) => f.endsWith('.png'));
    for (const file of pngs) {
      // Every visible .png is whole: sharp decodes all of it.
      await expect(sharp(readFileSync(path.join(outputs, file))).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);
    }
    // Half-written files only ever have hidden temp names.
    for (const file of listFiles(outputs).filter((f) => f.includes('.tmp') || f.includes('.png.'))) expect(path.basename(file)).toMatch(/^\..*\.tmp$/);

    // Restart on the same folder: nothing stuck RUNNING, the interrupted jobs finish, every SUCCEEDED job has its file.
    const server: TestServer = await startTestServer({ root, modelDir: path.join(root, 'model') });
    try {
      await waitUntil(async () => {
        const { data } = await server.gql<{ queue: { queued: number; running: number } }>('{ queue { queued running } }');
        return data?.queue.queued === 0 && data.queue.running === 0;
      }, 'queue to drain after restart', 6000);
      const { data } = await server.gql<{ jobs: { edges: { node: { status: string; imageUrl: string | null } }[] } }>('{ jobs(first: 100) { edges { node { status imageUrl } } } }');
      const jobs = data!.jobs.edges.map((e) => e.node);
      expect(jobs).toHaveLength(30);
      expect(jobs.every((j) => j.status === 'SUCCEEDED')).toBe(true);
      for (const job of jobs) expect((await fetch(`${server.url}${job.imageUrl}`, { method: 'HEAD' })).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 150_000);

  it('200 tiny jobs: RSS grows by less than 200 MB', async () => {
    const server = await startTestServer();
    try {
      const run = async (count: number) => {
        for (let i = 0; i < count; i += 10) await server.gql(GENERATE, { input: { prompt: `soak ${i}`, numImages: 10, steps: 1, width: 64, height: 64 } });
        await waitUntil(async () => {
          const { data } = await server.gql<{ queue: { queued: number; running: number } }>('{ queue { queued running } }');
          return data?.queue.queued === 0 && data.queue.running === 0;
        }, 'soak jobs', 12000);
      };
      await run(20);
      const before = process.memoryUsage().rss;
      await run(200);
      const growthMb = (process.memoryUsage().rss - before) / 2 ** 20;
      const { data } = await server.gql<{ queue: { succeeded: number; failed: number } }>('{ queue { succeeded failed } }');
      console.log(`soak: 200 jobs, RSS growth ${growthMb.toFixed(1)} MB`);
      expect(data!.queue).toMatchObject({ succeeded: 220, failed: 0 });
      expect(growthMb).toBeLessThan(200);
    } finally {
      await server.close();
    }
  }, 240_000);
});
