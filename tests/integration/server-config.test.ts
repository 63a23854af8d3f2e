import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { server: { api_key: 'test-key-0123456789' } } });
});

afterAll(async () => {
  await server?.close();
});

const auth = { authorization: 'Bearer test-key-0123456789' };

async function post(body: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as { data?: Record<string, never>; errors?: { extensions?: Record<string, unknown> }[] } };
}

describe('API key (server.api_key)', () => {
  it('refuses GraphQL over HTTP without the key, accepts Bearer and x-api-key', async () => {
    const refused = await post({ query: '{ health { status } }' }, {});
    expect(refused.status).toBe(401);
    expect(refused.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await post({ query: '{ health { status } }' }, { authorization: 'Bearer wrong-key-0123456789' })).status).toBe(401);
    expect((await post({ query: '{ health { status } }' })).json.data).toEqual({ health: { status: 'ok' } });
    expect((await post({ query: '{ health { status } }' }, { 'x-api-key': 'test-key-0123456789' })).status).toBe(200);
    expect((await fetch(`${server.url}/health`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.url}/api/generate/batch`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('refuses graphql-ws connections without the key and accepts them with it in connectionParams', async () => {
    const run = (connectionParams: Record<string, string>) =>
      new Promise<{ ok: boolean; code?: number }>((resolve) => {
        const client = createClient({
          url: server.wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams,
          on: { closed: (event) => resolve({ ok: false, code: (event as { code: number }).code }) },
        });
        client.subscribe(
          { query: 'subscription { queueChanged { queued } }' },
          {
            next: () => {
              resolve({ ok: true });
              void client.dispose();
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
      });
    expect(await run({})).toEqual({ ok: false, code: 4403 });
    expect(await run(auth)).toEqual({ ok: true });
  });
});

describe('config', () => {
  it('shows the config without paths or the key, and updates allowlisted defaults in the file', async () => {
    const view = await post({ query: '{ config { generation { width steps scheduler } saveMetadata model updatable } }' });
    expect(view.json.data).toMatchObject({ config: { generation: { width: 64, steps: 2, scheduler: 'euler' }, saveMetadata: true, updatable: true } });
    expect(JSON.stringify(view.json)).not.toContain(server.root);

    const updated = await post({ query: 'mutation { updateConfig(input: { generation: { steps: 3, scheduler: "ddim" }, saveMetadata: false }) { generation { steps scheduler } saveMetadata } }' });
    expect(updated.json.data).toEqual({ updateConfig: { generation: { steps: 3, scheduler: 'ddim' }, saveMetadata: false } });
    expect(readFileSync(server.configFile, 'utf8')).toMatch(/steps: 3/);
    const job = await post({ query: 'mutation { generate(input: { prompt: "x" }) { jobs { steps scheduler } } }' });
    expect(job.json.data).toEqual({ generate: { jobs: [{ steps: 3, scheduler: 'ddim' }] } });

    const bad = await post({ query: 'mutation { updateConfig(input: { generation: { width: 65 } }) { generation { width } } }' });
    expect(bad.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'generation.width' });
    const badScheduler = await post({ query: 'mutation { updateConfig(input: { generation: { scheduler: "plms" } }) { generation { width } } }' });
    expect(badScheduler.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'generation.scheduler' });
    expect(readFileSync(server.configFile, 'utf8')).toMatch(/steps: 3/);
    expect(path.isAbsolute(server.configFile)).toBe(true);
  });
});

describe('loras', () => {
  it('lists the LoRA folder by name and accepts those names in generate', async () => {
    mkdirSync(server.config.lora.directory, { recursive: true });
    writeFileSync(path.join(server.config.lora.directory, 'ink.safetensors'), 'not really a LoRA');
    writeFileSync(path.join(server.config.lora.directory, 'notes.txt'), 'ignored');
    writeFileSync(path.join(server.config.lora.directory, 'ink.png'), 'preview bytes');
    const listed = await post({ query: '{ loras { name compatible sha256 previewUrl error { code } } }' });
    const [ink] = (listed.json.data as unknown as { loras: { name: string; compatible: boolean; sha256: string; previewUrl: string; error: { code: string } | null }[] }).loras;
    expect(ink).toMatchObject({ name: 'ink', compatible: false, previewUrl: '/lora-previews/ink.png' });
    expect(ink.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ink.error?.code).toMatch(/^LORA_/);
    expect(await (await fetch(`${server.url}${ink.previewUrl}`, { headers: auth })).text()).toBe('preview bytes');
    expect((await fetch(`${server.url}/lora-previews/notes.txt`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/lora-previews/..%2fconfig.yaml`, { headers: auth })).status).toBe(404);
    // A file the library cannot read is refused before it is queued, with the library's code.
    const unreadable = await post({ query: 'mutation { generate(input: { prompt: "x", loras: [{ name: "ink", weight: 0.7 }] }) { jobs { id } } }' });
    expect(unreadable.json.errors?.[0]?.extensions).toMatchObject({ code: ink.error!.code, field: 'loras.0.name' });
    writeFileSync(path.join(server.config.lora.directory, 'xl.safetensors'), sdxlLora());
    const xl = await post({ query: 'mutation { generate(input: { prompt: "x", loras: [{ name: "xl" }] }) { jobs { id } } }' });
    expect(xl.json.errors?.[0]?.extensions).toMatchObject({ code: 'LORA_INCOMPATIBLE', field: 'loras.0.name' });
    const refused = await post({ query: 'mutation { generate(input: { prompt: "x", loras: [{ name: "notes" }] }) { jobs { id } } }' });
    expect(refused.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'loras.0.name' });
  });
});

describe('an engine that cannot start', () => {
  it('keeps serving, reports degraded health, and answers generate with MODEL_MISSING', async () => {
    const broken = await startTestServer({ modelDir: path.join(server.root, 'no-such-model') });
    try {
      type Engine = { engine: { state: string; error: { code: string; message: string } | null } };
      let engine: Engine['engine'] | undefined;
      for (let i = 0; i < 500 && engine?.state !== 'FAILED'; i++) {
        engine = (await broken.gql<Engine>('{ engine { state error { code message } } }')).data!.engine;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(engine).toMatchObject({ state: 'FAILED', error: { code: 'MODEL_MISSING' } });
      const result = await broken.gql('mutation { generate(input: { prompt: "x" }) { jobs { id } } }');
      expect(result.errors?.[0]?.extensions?.code).toBe('MODEL_MISSING');
      const health = (await (await fetch(`${broken.url}/health`)).json()) as { status: string; engine: string };
      expect(health).toMatchObject({ status: 'degraded', engine: 'FAILED' });
    } finally {
      await broken.close();
    }
  });
});

/** A minimal kohya-style SDXL LoRA: one text-encoder-1 layer and the SDXL base model in its metadata. */
function sdxlLora(): Buffer {
  const key = 'lora_te1_text_model_encoder_layers_0_self_attn_q_proj';
  const header = {
    __metadata__: { ss_base_model_version: 'sdxl_base_v1-0', 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' },
    [`${key}.lora_down.weight`]: { dtype: 'F32', shape: [1, 768], data_offsets: [0, 3072] },
    [`${key}.lora_up.weight`]: { dtype: 'F32', shape: [768, 1], data_offsets: [3072, 6144] },
    [`${key}.alpha`]: { dtype: 'F32', shape: [], data_offsets: [6144, 6148] },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), Buffer.alloc(6148)]);
}
