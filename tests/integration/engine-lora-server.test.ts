import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomLora, writeSafetensors } from '../helpers/lora-writer.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { targetLayers } from '../unit/lora/tiny-model.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const loraDir = server.config.lora.directory;
  mkdirSync(loraDir, { recursive: true });
  const modelDir = server.config.model.default;
  const layers = targetLayers(join(modelDir, 'unet', 'model.onnx'), 'unet', (p) => /attn/.test(p));
  writeSafetensors(join(loraDir, 'card_layout.safetensors'), randomLora(layers, { format: 'kohya', rank: 4, alpha: 4, seed: 4 }).tensors);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('GraphQL generate with a LoRA', () => {
  it('runs through the engine and records the LoRA in the sidecar', async () => {
    const started = await server.gql<{ generate: { jobs: { id: string }[] } }>(
      'mutation { generate(input: { prompt: "a card", seed: "3", loras: [{ name: "card_layout", weight: 0.7 }] }) { jobs { id } } }',
    );
    expect(started.errors).toBeUndefined();
    const id = started.data!.generate.jobs[0].id;
    let job: { status: string; imageUrl: string | null } | undefined;
    for (let i = 0; i < 600; i++) {
      job = (await server.gql<{ job: { status: string; imageUrl: string | null } }>('query($id: ID!) { job(id: $id) { status imageUrl } }', { id })).data?.job;
      if (job && !['QUEUED', 'RUNNING'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.status).toBe('SUCCEEDED');
    const png = job!.imageUrl!.replace(/^\/outputs\//, '').split('?')[0];
    const sidecar = JSON.parse(readFileSync(join(server.config.output.directory, decodeURIComponent(png)).replace(/\.png$/, '.json'), 'utf8'));
    expect(sidecar.loras).toMatchObject([{ name: 'card_layout', weight: 0.7 }]);
    expect(sidecar.loras[0].matched).toBeGreaterThan(0);
  });
});
