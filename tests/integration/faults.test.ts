/**
 * Faults (issue 10, item 5): a write error fails only its job, a corrupt database is reported and left alone,
 * 1,000 queued jobs page and cancel correctly.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseA1111Parameters } from '../../server/engine/image/a1111-parameters.ts';
import { readPngTextMap } from '../../server/engine/image/png-read.ts';
import { DATABASE_FILE_NAME, DATABASE_MARKER_NAME, openDatabase } from '../../server/db/database.ts';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

interface JobState {
  id: string;
  status: string;
  error: string | null;
  errorCode: string | null;
  imageUrl: string | null;
}
const JOB = 'query($id: ID!) { node(id: $id) { ... on Job { id status error errorCode imageUrl } } }';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close());

async function generate(prompt: string, numImages = 1): Promise<string[]> {
  const { data, errors } = await server.gql<{ generate: { jobs: { id: string }[] } }>(
    'mutation($input: GenerateInput!) { generate(input: $input) { jobs { id } } }',
    { input: { prompt, numImages, steps: 1, width: 64, height: 64 } },
  );
  expect(errors).toBeUndefined();
  return data!.generate.jobs.map((j) => j.id);
}

async function finished(id: string): Promise<JobState> {
  let job: JobState | undefined;
  await waitUntil(async () => {
    job = (await server.gql<{ node: JobState }>(JOB, { id })).data?.node;
    return job !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
  }, `job ${id} to finish`);
  return job!;
}

describe('faults', () => {
  it('a write error fails that job with a readable message and the next job succeeds', async () => {
    // Tests run as root, where chmod does not stop writes: replace the output folder with a plain file.
    rmSync(server.outputDir, { recursive: true, force: true });
    writeFileSync(server.outputDir, 'a file where the output folder should be');
    const failed = await finished((await generate('write error'))[0]);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('OUTPUT_WRITE_FAILED');
    expect(failed.error).toMatch(/^could not write .*\.png: (a path component is a file, not a folder|a file stands where the folder should be) \((ENOTDIR|EEXIST)\); check the output folder/);
    expect(failed.error).not.toContain(server.outputDir);
    const db = new Database(path.join(server.dataDir, DATABASE_FILE_NAME), { readonly: true });
    const stored = db.prepare('SELECT error FROM jobs WHERE status = ? ORDER BY id DESC LIMIT 1').get('FAILED') as { error: string };
    db.close();
    expect(stored.error).toMatch(/ENOTDIR|EEXIST|not a directory/i);
    expect(failed.error).not.toMatch(/\n\s+at /);

    rmSync(server.outputDir, { force: true });
    mkdirSync(server.outputDir);
    const next = await finished((await generate('after the fault'))[0]);
    expect(next.status).toBe('SUCCEEDED');
    const png = await fetch(`${server.url}${next.imageUrl}`);
    expect(png.status).toBe(200);
    // The PNG carries its settings for other tools (A1111 `parameters`) and for us (`imagineer` = the sidecar).
    const text = readPngTextMap(Buffer.from(await png.arrayBuffer()));
    expect(parseA1111Parameters(text.parameters)).toMatchObject({ prompt: 'after the fault', steps: 1, width: 64, height: 64 });
    expect(JSON.parse(text.imagineer)).toMatchObject({ prompt: 'after the fault', steps: 1 });
  }, 120_000);

  it('1,000 queued jobs page with Relay cursors without gaps or duplicates, and all cancel', async () => {
    await server.running.jobs.worker.stop();
    const created: string[] = [];
    for (let i = 0; i < 100; i++) created.push(...(await generate(`queued ${i}`, 10)));
    expect(new Set(created).size).toBe(1000);

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 40; page++) {
      const { data }: { data?: { jobs: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } | null } =
        await server.gql('query($after: String) { jobs(first: 37, after: $after, status: QUEUED) { edges { node { id } } pageInfo { endCursor hasNextPage } } }', { after });
      seen.push(...data!.jobs.edges.map((e) => e.node.id));
      if (!data!.jobs.pageInfo.hasNextPage) break;
      after = data!.jobs.pageInfo.endCursor;
    }
    expect(seen.length).toBe(1000);
    expect(new Set(seen)).toEqual(new Set(created));

    for (const id of created) await server.gql('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id });
    const { data } = await server.gql<{ queue: Record<string, number> }>('{ queue { queued running cancelled } }');
    expect(data!.queue).toMatchObject({ queued: 0, running: 0 });
    expect(data!.queue.cancelled).toBeGreaterThanOrEqual(1000);
    server.running.jobs.worker.start();
  }, 150_000);
});

describe('database faults', () => {
  it('a corrupt database file is reported with what to do and left untouched', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'imagineer-faults-'));
    try {
      const dataDir = path.join(root, 'data');
      mkdirSync(dataDir, { recursive: true });
      const garbage = Buffer.from('this is not an SQLite database, just garbage bytes\n'.repeat(200));
      writeFileSync(path.join(dataDir, DATABASE_FILE_NAME), garbage);
      await expect(startTestServer({ root, modelDir: path.join(server.root, 'model') })).rejects.toThrow(/cannot be opened.*move it aside|restore a backup/);
      expect(readFileSync(path.join(dataDir, DATABASE_FILE_NAME))).toEqual(garbage);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('a database that went missing is reported at start, not silently replaced', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'imagineer-faults-'));
    try {
      openDatabase(dataDir).close();
      expect(readFileSync(path.join(dataDir, DATABASE_MARKER_NAME), 'utf8')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      openDatabase(dataDir).close();
      rmSync(path.join(dataDir, DATABASE_FILE_NAME));
      expect(() => openDatabase(dataDir)).toThrow(/imagineer\.db cannot be opened \(the file is missing, but a database was created in this folder on .*\); restore it from a backup, or delete .*imagineer\.db\.created/);
      expect(existsSync(path.join(dataDir, DATABASE_FILE_NAME))).toBe(false);
      rmSync(path.join(dataDir, DATABASE_MARKER_NAME));
      openDatabase(dataDir).close();
      expect(existsSync(path.join(dataDir, DATABASE_FILE_NAME))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
