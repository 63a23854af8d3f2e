import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

// Issue 7's acceptance: whole shipped sets turned into batches on the tiny model, and a bad CSV refused before anything is queued.
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { generation: { steps: 1, guidance_scale: 1 } } });
  cpSync(fileURLToPath(new URL('../../sets', import.meta.url)), server.config.sets.directory, { recursive: true });
});

afterAll(async () => {
  await server?.close();
});

async function runBatch(input: string): Promise<{ id: string; directory: string }> {
  const started = await server.gql<{ generateBatch: { batch: { id: string; directory: string } } }>(
    `mutation { generateBatch(input: ${input}) { batch { id directory } } }`,
  );
  expect(started.errors).toBeUndefined();
  const batch = started.data!.generateBatch.batch;
  await waitUntil(async () => {
    const state = await server.gql<{ batch: { finished: boolean } }>(`query($id: ID!) { batch(id: $id) { finished } }`, { id: batch.id });
    return state.data?.batch.finished === true;
  }, `batch ${batch.directory} finished`);
  return batch;
}

function filesOf(directory: string): string[] {
  return readdirSync(path.join(server.outputDir, directory)).sort();
}

/** Adds a set `id` (512×512, its CSV `id.csv`) to the server's sets folder; `yaml` holds the entry's other keys, indented. */
function addSet(id: string, csv: string, yaml: string): void {
  const setsDir = server.config.sets.directory;
  writeFileSync(path.join(setsDir, `${id}.csv`), csv);
  const config = readFileSync(path.join(setsDir, 'config.yaml'), 'utf8');
  const entry = `  ${id}:\n    name: ${id}\n    csv_path: ${id}.csv\n    width: 512\n    height: 512\n${yaml}`;
  writeFileSync(path.join(setsDir, 'config.yaml'), config.replace(/^sets:\n/m, `sets:\n${entry}`));
}

const stems = (files: string[], ext: string) => files.filter((f) => f.endsWith(ext)).map((f) => f.replace(/^\d{8}_\d{6}_/, '').replace(ext, ''));

describe('card set batches on disk', () => {
  it('a zodiac batch writes 12 PNGs, 12 sidecars and the manifest, named after the signs', async () => {
    const batch = await runBatch('{ setId: "zodiac", theme: "stained glass", seed: "7" }');
    const files = filesOf(batch.directory);
    const signs = ['aries', 'taurus', 'gemini', 'cancer', 'leo', 'virgo', 'libra', 'scorpio', 'sagittarius', 'capricorn', 'aquarius', 'pisces'];
    expect(stems(files, '.png').sort()).toEqual([...signs].sort());
    expect(stems(files, '.json').filter((s) => s !== 'batch').sort()).toEqual([...signs].sort());
    expect(files).toContain('batch.json');
    const manifest = JSON.parse(readFileSync(path.join(server.outputDir, batch.directory, 'batch.json'), 'utf8')) as {
      set: string;
      theme: string;
      items: { item: string; seed: string; prompt: string }[];
    };
    expect(manifest.set).toBe('zodiac');
    expect(manifest.theme).toBe('stained glass');
    expect(manifest.items.map((i) => i.item)).toEqual(signs);
    expect(manifest.items.map((i) => i.seed)).toEqual(signs.map((_, i) => String(7 + i)));
    const zip = await fetch(`${server.url}/api/batches/${encodeURIComponent(batch.id)}/zip`);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    const names = zipEntryNames(Buffer.from(await zip.arrayBuffer()));
    expect(names.sort()).toEqual(files.filter((f) => /\.(png|json)$/.test(f)).map((f) => `${batch.directory}/${f}`).sort());
    expect((await fetch(`${server.url}/api/batches/QmF0Y2g6OTk5/zip`)).status).toBe(404);
    const aries = files.find((f) => f.endsWith('_aries.json'))!;
    const sidecar = JSON.parse(readFileSync(path.join(server.outputDir, batch.directory, aries), 'utf8')) as { seed: string; prompt: string };
    expect(sidecar.seed).toBe('7');
    expect(sidecar.prompt).toContain('stained glass');
  });

  it('a card_deck batch with limit 5 writes the first five cards at 512×720', async () => {
    const batch = await runBatch('{ setId: "card_deck", theme: "art deco", limit: 5 }');
    const pngs = stems(filesOf(batch.directory), '.png');
    expect(pngs.sort()).toEqual(['2_of_spades', '3_of_spades', '4_of_spades', '5_of_spades', 'ace_of_spades']);
    const images = await server.gql<{ batch: { images: { edges: { node: { width: number; height: number } }[] } } }>(
      `query($id: ID!) { batch(id: $id) { images(first: 10) { edges { node { width height } } } } }`,
      { id: batch.id },
    );
    expect(images.data!.batch.images.edges.map((e) => [e.node.width, e.node.height])).toEqual(Array(5).fill([512, 720]));
  });

  it('refuses a set whose CSV lacks a template column, with nothing queued', async () => {
    addSet('broken', 'name\nfirst\nsecond\n', '    description: a template column the CSV lacks\n    prompt_template: "{name} holding {prop}"\n');
    const before = await server.gql<{ jobs: { totalCount: number } }>('{ jobs(first: 1) { totalCount } }');
    const refused = await server.gql(`mutation { generateBatch(input: { setId: "broken", theme: "x" }) { batch { id } } }`);
    expect(refused.errors?.[0]?.message).toMatch(/broken.*prop|prop.*broken/);
    const after = await server.gql<{ jobs: { totalCount: number } }>('{ jobs(first: 1) { totalCount } }');
    expect(after.data!.jobs.totalCount).toBe(before.data!.jobs.totalCount);
  });

  it('refuses a set whose LoRA file is missing, naming the set and the file, with nothing queued', async () => {
    addSet('styled', 'name\nfirst\n', '    description: a set with a LoRA nobody installed\n    prompt_template: "{name}"\n    loras:\n      - name: card_layout\n        weight: 0.6\n');
    const before = await server.gql<{ jobs: { totalCount: number } }>('{ jobs(first: 1) { totalCount } }');
    const refused = await server.gql(`mutation { generateBatch(input: { setId: "styled", theme: "x" }) { batch { id } } }`);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toBe('set "styled" uses the LoRA "card_layout", but card_layout.safetensors is not in the LoRA folder; nothing was queued');
    const after = await server.gql<{ jobs: { totalCount: number } }>('{ jobs(first: 1) { totalCount } }');
    expect(after.data!.jobs.totalCount).toBe(before.data!.jobs.totalCount);
  });
});

/** Entry names from a zip's central directory (enough to check what a download holds). */
function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return names;
}
