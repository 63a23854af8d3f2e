/**
 * Access (issue 10, item 3): API key on every HTTP route, the login cookie, WebSocket connectionParams,
 * graphql-armor limits, body size, cross-origin refusal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import type { DocumentNode } from 'graphql';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as clientDocuments from '../../client/src/lib/documents.ts';
import * as configDocuments from '../../client/src/panels/config.graphql.ts';
import * as galleryDocuments from '../../client/src/panels/gallery.graphql.ts';
import * as generateDocuments from '../../client/src/panels/generate.graphql.ts';
import * as jobsDocuments from '../../client/src/panels/jobs.graphql.ts';
import * as setsDocuments from '../../client/src/panels/sets.graphql.ts';
import { loadConfig } from '../../server/config/index.ts';
import { GRAPHQL_LIMITS } from '../../server/http/plugins/armor.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const KEY = 'test-key-0123456789';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { server: { api_key: KEY } } });
  mkdirSync(path.join(server.outputDir, 'set_1'), { recursive: true });
  writeFileSync(path.join(server.outputDir, 'set_1', 'card.png'), 'not really a png');
}, 60_000);
afterAll(() => server?.close());

const query = JSON.stringify({ query: '{ health { status } }' });
const post = (headers: Record<string, string> = {}, body = query, route = '/graphql') =>
  fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { headers });
const bearer = { authorization: `Bearer ${KEY}` };

describe('API key', () => {
  it('binds loopback by default', () => {
    const config = loadConfig({ path: server.configFile, env: {} });
    expect(config.server.host).toBe('127.0.0.1');
    expect(server.running.host).toBe('127.0.0.1');
  });

  it('refuses every route without the key', async () => {
    const graphql = await post();
    expect(graphql.status).toBe(401);
    expect(((await graphql.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    for (const route of ['/health', '/outputs/set_1/card.png', '/outputs/set_1/card.png?w=64', '/lora-previews/x.png', '/', '/graphql?query=%7Bhealth%7Bstatus%7D%7D']) {
      expect((await get(route)).status, route).toBe(401);
    }
    expect((await post({}, '{"setId":"x"}', '/api/generate/batch')).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-key-0123456789' })).status).toBe(401);
    expect((await post({ 'x-api-key': KEY.slice(0, -1) })).status).toBe(401);
  });

  it('a browser navigation without the key gets the login page', async () => {
    const page = await get('/', { accept: 'text/html' });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('action="/login"');
  });

  it('accepts Authorization: Bearer and x-api-key on GraphQL, /health and /outputs', async () => {
    expect(await (await post(bearer)).json()).toEqual({ data: { health: { status: expect.any(String) } } });
    expect((await post({ 'x-api-key': KEY })).status).toBe(200);
    expect((await get('/health', bearer)).status).toBe(200);
    const image = await get('/outputs/set_1/card.png', { 'x-api-key': KEY });
    expect(image.status).toBe(200);
    expect(await image.text()).toBe('not really a png');
  });

  it('POST /login sets an HttpOnly SameSite=Strict cookie that opens GraphQL and /outputs (for <img>)', async () => {
    const form = (key: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ key }) });
    expect((await form('wrong-key-0123456789')).status).toBe(401);
    expect((await form(KEY, { origin: 'http://evil.example' })).status).toBe(403);
    const ok = await form(KEY);
    expect(ok.status).toBe(303);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0];
    expect((await get('/outputs/set_1/card.png', { cookie })).status).toBe(200);
    expect((await post({ cookie })).status).toBe(200);
    expect((await get('/outputs/set_1/card.png', { cookie: 'imagineer_key=nope' })).status).toBe(401);
  });

  it('WebSocket connections need the key in connectionParams (or the cookie)', async () => {
    const run = (connectionParams?: Record<string, string>, headers?: Record<string, string>) =>
      new Promise<string>((resolve) => {
        class WithHeaders extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { headers });
          }
        }
        const client = createClient({ url: server.wsUrl, webSocketImpl: WithHeaders, retryAttempts: 0, connectionParams, lazy: true });
        client.subscribe(
          { query: '{ health { status } }' },
          {
            next: () => resolve('data'),
            error: (e) => {
              resolve(`error ${(e as { code?: number }).code ?? String(e)}`);
              void client.dispose();
            },
            complete: () => void client.dispose(),
          },
        );
      });
    expect(await run()).toBe('error 4403');
    expect(await run({ authorization: 'Bearer nope-nope-nope' })).toBe('error 4403');
    expect(await run({ authorization: `Bearer ${KEY}` })).toBe('data');
    expect(await run({ 'x-api-key': KEY })).toBe('data');
    expect(await run(undefined, { cookie: `imagineer_key=${KEY}` })).toBe('data');
  });
});

describe('request limits', () => {
  const errorsOf = async (document: string) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: document }),
      signal: AbortSignal.timeout(10_000),
    });
    return ((await res.json()) as { errors?: { message: string }[] }).errors?.map((e) => e.message) ?? [];
  };

  it('refuses documents past the depth, alias, directive and token limits', async () => {
    const deep = `{ jobs(first: 1) { edges { node { ${'retryOf { '.repeat(GRAPHQL_LIMITS.maxDepth)}id${' }'.repeat(GRAPHQL_LIMITS.maxDepth)} } } } }`;
    expect((await errorsOf(deep)).join()).toMatch(/depth limit/i);
    const aliases = `{ ${Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: health { status }`).join(' ')} }`;
    expect((await errorsOf(aliases)).join()).toMatch(/aliases limit/i);
    const directives = `{ health { status ${'@include(if: true) '.repeat(GRAPHQL_LIMITS.maxDirectives + 1)} } }`;
    expect((await errorsOf(directives)).join()).toMatch(/directives limit/i);
    const tokens = `{ health { ${'status '.repeat(GRAPHQL_LIMITS.maxTokens)} } }`;
    expect((await errorsOf(tokens)).join()).toMatch(/token limit/i);
    // And an ordinary query still runs.
    expect(await errorsOf('{ health { status } jobs(first: 5) { edges { node { id retryOf { id } } } } }')).toEqual([]);
  });

  it("passes every GraphQL document of the client", async () => {
    const modules = [clientDocuments, configDocuments, galleryDocuments, generateDocuments, jobsDocuments, setsDocuments] as Record<string, unknown>[];
    const documents = modules.flatMap((m) => Object.values(m)).filter((v): v is DocumentNode => (v as DocumentNode)?.kind === 'Document');
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) {
      if (print(document).trimStart().startsWith('subscription')) continue;
      const messages = await errorsOf(print(document));
      expect(messages.filter((m) => /limit of/i.test(m)), print(document).slice(0, 80)).toEqual([]);
    }
  });

  it('refuses bodies over 1 MB (413) and chunked bodies without a length (411)', async () => {
    const big = JSON.stringify({ query: `{ health { status } } #${'x'.repeat(1024 * 1024)}` });
    expect((await post(bearer, big)).status).toBe(413);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/graphql`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(query);
      req.end();
    });
    expect(status).toBe(411);
  });

  it('sends no CORS headers and refuses cross-origin requests', async () => {
    const preflight = await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { ...bearer, origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const cross = await post({ ...bearer, origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();
    // A form post (no JSON content type) from this origin cannot run a mutation either.
    const form = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=mutation{cancelJob(id:"x"){id}}' });
    expect(form.status).toBe(415);
    const text = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: '{"query":"{health{status}}"}' });
    expect(text.status).toBe(415);
  });
});
