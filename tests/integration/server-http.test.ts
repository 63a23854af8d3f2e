import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import sharp from 'sharp';
import WebSocket from 'ws';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

/** Sends the path exactly as written (fetch and curl would normalise `..` away). */
function rawGet(rawPath: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, type: response.headers['content-type'] }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  server = await startTestServer({ clientDistDir: undefined });
  mkdirSync(path.join(server.outputDir, 'single'), { recursive: true });
  writeFileSync(path.join(server.outputDir, 'single', 'ok.json'), '{"ok":true}');
  writeFileSync(path.join(server.root, 'secret.txt'), 'top secret');
  symlinkSync(path.join(server.root, 'secret.txt'), path.join(server.outputDir, 'single', 'link.txt'));
  symlinkSync(server.root, path.join(server.outputDir, 'rootlink'));
});

afterAll(async () => {
  await server?.close();
});

describe('HTTP routes', () => {
  it('serves /health as JSON', async () => {
    const response = await rawGet('/health');
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok', queue: { QUEUED: 0 } });
  });

  it('serves files inside the output directory', async () => {
    const response = await rawGet('/outputs/single/ok.json');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
    expect((await rawGet('/outputs/single/missing.png')).status).toBe(404);
    expect((await rawGet('/outputs/single')).status).toBe(404);
  });

  it.each([
    ['/outputs/../secret.txt', 400],
    ['/outputs/single/../../secret.txt', 400],
    ['/outputs/%2e%2e/secret.txt', 400],
    ['/outputs/%2e%2e%2fsecret.txt', 400],
    ['/outputs/single%2f..%2f..%2fsecret.txt', 400],
    ['/outputs/%2Fetc%2Fpasswd', 400],
    ['/outputs//etc/passwd', 400],
    ['/outputs/%5c..%5csecret.txt', 400],
    ['/outputs/..%5csecret.txt', 400],
    ['/outputs/single/ok.json%00.png', 400],
    ['/outputs/C:/Windows/win.ini', 400],
    ['/outputs/%E0%A4%A', 400],
    ['/outputs/single/link.txt', 404],
    ['/outputs/rootlink/secret.txt', 404],
    ['/../secret.txt', 400],
    ['/%2e%2e/secret.txt', 400],
    ['/..%2fsecret.txt', 400],
  ])('refuses %s with %i and leaks no path', async (rawPath, status) => {
    const response = await rawGet(rawPath);
    expect(response.status).toBe(status);
    expect(response.body).not.toContain('top secret');
    expect(response.body).not.toContain(server.root);
  });

  it('serves cached WebP thumbnails of output PNGs at the allowed widths only', async () => {
    await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366aa' } }).png().toFile(path.join(server.outputDir, 'single', 'pic.png'));
    const response = await fetch(`${server.url}/outputs/single/pic.png?w=128`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 85]);
    expect((await fetch(`${server.url}/outputs/single/pic.png?w=128`)).status).toBe(200);
    expect((await fetch(`${server.url}/outputs/single/pic.png?w=100`)).status).toBe(400);
    expect((await rawGet('/outputs/../secret.txt?w=128')).status).toBe(400);
    expect((await rawGet('/outputs/single/link.txt?w=128')).status).toBe(404);
    expect((await rawGet('/outputs/single/ok.json?w=128')).status).toBe(404);
  });

  it('shows a "client not built" page at / when client/dist is missing', async () => {
    const response = await rawGet('/');
    expect(response.status).toBe(200);
    expect(response.body).toContain('not built');
    expect(response.body).not.toContain(server.root);
  });

  it('answers GraphQL over GET and POST at /graphql, and serves GraphiQL to browsers', async () => {
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ health { status } }')}`);
    expect(await get.json()).toEqual({ data: { health: { status: 'ok' } } });
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/); // bundled: works offline
  });

  it('refuses requests from other sites (HTTP and WebSocket) and oversized bodies', async () => {
    const query = JSON.stringify({ query: 'mutation { generate(input: { prompt: "x" }) { jobs { id } } }' });
    const evil = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: query });
    expect(evil.status).toBe(403);
    const form = await fetch(`${server.url}/api/generate/batch`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '{"setId":"x"}' });
    expect(form.status).toBe(403);
    const same = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify({ query: '{ health { status } }' }) });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    const huge = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ health { status } } # ${'x'.repeat(1_100_000)}` }) });
    expect(huge.status).toBe(413);

    const opened = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { origin } });
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        socket.on('error', () => resolve('error'));
      });
    expect(await opened('http://evil.example')).toBe('refused 401');
    expect(await opened(server.url)).toBe('open');
  });

  it('masks unexpected errors and never leaks internals', async () => {
    const result = await server.gql(`{ jobs(first: 1, after: "x'; DROP TABLE jobs") { edges { cursor } } }`);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await server.gql(`{ jobs(first: 1000) { edges { cursor } } }`);
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

describe('client files', () => {
  let withClient: TestServer;
  beforeAll(async () => {
    const dist = path.join(server.root, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>client</title>');
    writeFileSync(path.join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    withClient = await startTestServer({ clientDistDir: dist, modelDir: path.join(server.root, 'model') });
  });
  afterAll(async () => {
    await withClient?.close();
  });

  it('serves index.html, hashed assets, and index.html for client routes', async () => {
    const index = await fetch(`${withClient.url}/`);
    expect(await index.text()).toContain('<title>client</title>');
    const asset = await fetch(`${withClient.url}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${withClient.url}/gallery/42`)).text()).toContain('<title>client</title>');
    expect((await fetch(`${withClient.url}/assets/missing.js`)).status).toBe(404);
  });
});
