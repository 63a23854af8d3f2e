import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

let server: TestServer;

type BatchFields = { id: string; setId: string; theme: string; seed: string; directory: string; totalJobs: number; succeededJobs: number; finished: boolean };

beforeAll(async () => {
  // The shipped sets, copied so the test owns its sets folder.
  const shipped = fileURLToPath(new URL('../../sets', import.meta.url));
  server = await startTestServer({ config: { generation: { steps: 1 } } });
  cpSync(shipped, server.config.sets.directory, { recursive: true });
});

afterAll(async () => {
  await server?.close();
});

describe('sets and batches', () => {
  it('lists the sets and picks a random theme from a set', async () => {
    const result = await server.gql<{ sets: { id: string; itemCount: number }[]; randomTheme: string; set: { name: string; items: { item: string }[] } }>(
      `{ sets { id itemCount } randomTheme(setId: "zodiac") set(id: "zodiac") { name items { item } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.sets.map((s) => s.id)).toEqual(expect.arrayContaining(['card_deck', 'tarot_deck', 'zodiac']));
    expect(result.data!.set.items).toHaveLength(12);
    expect(result.data!.randomTheme.length).toBeGreaterThan(0);
    const preview = await server.gql<{ set: { preview: { item: string; prompt: string; seed: string; tokenCount: number }[] }; promptTokens: number }>(
      `{ set(id: "zodiac") { preview(theme: "art nouveau", seed: "5", limit: 2) { item prompt seed tokenCount } } promptTokens(text: "a cat") }`,
    );
    expect(preview.errors).toBeUndefined();
    expect(preview.data!.set.preview.map((p) => p.seed)).toEqual(['5', '6']);
    for (const item of preview.data!.set.preview) {
      expect(item.prompt).toContain('art nouveau');
      expect(item.tokenCount).toBeGreaterThan(2);
    }
    expect(preview.data!.promptTokens).toBe(2);
    const missing = await server.gql(`{ set(id: "nope") { name } }`);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('generates a batch into outputs/{set}_{timestamp}/ and reports its progress', async () => {
    const result = await server.gql<{ generateBatch: { batch: BatchFields; jobs: { id: string; seed: string; width: number }[] } }>(
      `mutation { generateBatch(input: { setId: "zodiac", theme: "art nouveau", seed: "100", limit: 3 }) {
        batch { id setId theme seed directory totalJobs succeededJobs finished } jobs { id seed width } } }`,
    );
    expect(result.errors).toBeUndefined();
    const { batch, jobs } = result.data!.generateBatch;
    expect(batch).toMatchObject({ setId: 'zodiac', theme: 'art nouveau', seed: '100', totalJobs: 3 });
    expect(batch.directory).toMatch(/^zodiac_\d{8}_\d{6}(_\d+)?$/);
    expect(jobs.map((j) => j.seed)).toEqual(['100', '101', '102']);

    const progress = server.subscribe<{ batchProgress: BatchFields }>(`subscription($id: ID!) { batchProgress(batchId: $id) { succeededJobs finished } }`, { id: batch.id });
    await waitUntil(() => progress.events.some((e) => e.batchProgress.finished), 'batch finished');
    progress.dispose();

    const images = await server.gql<{ batch: { succeededJobs: number; images: { edges: { node: { url: string; width: number } }[] } } }>(
      `query($id: ID!) { batch(id: $id) { succeededJobs images(first: 10) { edges { node { url width } } } } }`,
      { id: batch.id },
    );
    expect(images.data!.batch.succeededJobs).toBe(3);
    const urls = images.data!.batch.images.edges.map((e) => e.node.url);
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(new RegExp(`^/outputs/${batch.directory}/\\d{8}_\\d{6}_[a-z0-9_]+\\.png$`));
    const png = await fetch(`${server.url}${urls[0]}`);
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect(meta.format).toBe('png');
    const manifest = JSON.parse(readFileSync(path.join(server.outputDir, batch.directory, 'batch.json'), 'utf8')) as { set: string; items: unknown[] };
    expect(manifest).toMatchObject({ set: 'zodiac' });
    expect(manifest.items).toHaveLength(3);
    const sidecar = path.join(server.outputDir, urls[0].replace('/outputs/', '').replace(/\.png$/, '.json'));
    expect(existsSync(sidecar)).toBe(true);
  });

  it('accepts POST /api/generate/batch and refuses bad input with the field', async () => {
    const ok = await fetch(`${server.url}/api/generate/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setId: 'tarot_deck', limit: 1, seed: '5' }),
    });
    expect(ok.status).toBe(202);
    const body = (await ok.json()) as { batchId: string; jobIds: string[]; theme: string };
    expect(body.jobIds).toHaveLength(1);
    expect(body.theme.length).toBeGreaterThan(0);

    const cases: [unknown, number, string][] = [
      [{ setId: 'nope' }, 404, 'NOT_FOUND'],
      [{ setId: '../etc' }, 400, 'BAD_USER_INPUT'],
      [{ setId: 'zodiac', limit: 99 }, 400, 'BAD_USER_INPUT'],
      [{ setId: 'zodiac', steps: 0 }, 400, 'BAD_USER_INPUT'],
      [{ setId: 'zodiac', seed: 'x' }, 400, 'BAD_USER_INPUT'],
      [[1, 2], 400, 'BAD_USER_INPUT'],
    ];
    for (const [input, status, code] of cases) {
      const response = await fetch(`${server.url}/api/generate/batch`, { method: 'POST', body: JSON.stringify(input) });
      expect(response.status, JSON.stringify(input)).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const limit = await fetch(`${server.url}/api/generate/batch`, { method: 'POST', body: JSON.stringify({ setId: 'zodiac', limit: 99 }) });
    expect(((await limit.json()) as { error: { field: string } }).error.field).toBe('limit');
    expect((await fetch(`${server.url}/api/generate/batch`)).status).toBe(405);
  });
});
