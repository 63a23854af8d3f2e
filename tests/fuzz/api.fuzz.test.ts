/**
 * Property-based fuzzing (issue 10, item 4): random and hostile values at every mutation and REST route.
 * Only typed errors come back (known extensions.code, no stack, no file system path), the server stays up,
 * and the queue counts stay consistent with the job list.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type GraphQLResponse, type TestServer } from '../helpers/server.ts';

const KNOWN_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'INVALID_SET', 'INVALID_CONFIG', 'CONFIG_READ_ONLY', 'LORA_INVALID', 'LORA_UNSUPPORTED', 'LORA_INCOMPATIBLE', 'LORA_UNMATCHED', 'CANCELLED', 'BAD_REQUEST']);
/** Summed over the properties below. */
export const FUZZ_RUNS = { generate: 80, generateBatch: 30, jobIds: 90, updateConfig: 30, rest: 120 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close());

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\0', '../../etc/passwd', '%00', '<script>alert(1)</script>', "'; DROP TABLE jobs; --", '\u202e', '🐉'.repeat(300), 'x'.repeat(20_000), 'Sm9iOjE=', 'Sm9iOi0x', 'Sm9iOjk5OTk5OTk5OTk5OTk5OTk5OTk5', 'QmF0Y2g6MQ=='),
);
const hostileNumber = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 64, 65, 8, 4096), fc.double({ noNaN: true, noDefaultInfinity: true }));
const maybe = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

function checkResponse(response: GraphQLResponse) {
  for (const error of response.errors ?? []) {
    expect(KNOWN_CODES, `${error.message} ${JSON.stringify(error.extensions)}`).toContain(error.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED');
    expect(error.message).not.toContain(server.root);
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(JSON.stringify(error.extensions ?? {})).not.toMatch(/stack|\/tmp\//);
  }
}

async function gqlChecked(query: string, variables: Record<string, unknown>) {
  const response = await server.gql(query, variables);
  checkResponse(response);
  return response;
}

const GENERATE = 'mutation($input: GenerateInput!) { generate(input: $input) { jobs { id status } } }';

describe('fuzzing', () => {
  it('generate: hostile inputs give typed errors or queued jobs', async () => {
    const input = fc.record(
      {
        prompt: hostileString,
        negativePrompt: maybe(hostileString),
        width: maybe(hostileNumber),
        height: maybe(hostileNumber),
        steps: maybe(hostileNumber),
        guidanceScale: maybe(hostileNumber),
        numImages: maybe(fc.integer({ min: -5, max: 3 })),
        priority: maybe(hostileNumber),
        seed: maybe(hostileString),
        scheduler: maybe(fc.oneof(hostileString, fc.constantFrom('euler', 'ddim', 'lcm', 'EULER'))),
        rng: maybe(fc.oneof(hostileString, fc.constantFrom('torch', 'numpy', 'nv'))),
        loras: maybe(fc.array(fc.record({ name: hostileString, weight: hostileNumber }), { maxLength: 3 })),
      },
      { requiredKeys: ['prompt'] },
    );
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        const response = await gqlChecked(GENERATE, { input: value });
        // Cancel what was queued at once: the fuzzing is about the edge, not about running big jobs.
        for (const job of (response.data as { generate?: { jobs: { id: string }[] } } | null)?.generate?.jobs ?? []) {
          checkResponse(await server.gql('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: job.id }));
        }
      }),
      { numRuns: FUZZ_RUNS.generate, seed: 10 },
    );
  });

  it('generateBatch: hostile inputs give typed errors', async () => {
    const input = fc.record({ setId: hostileString, theme: maybe(hostileString), seed: maybe(hostileString), limit: maybe(hostileNumber), steps: maybe(hostileNumber) });
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        await gqlChecked('mutation($input: GenerateBatchInput!) { generateBatch(input: $input) { batch { id } } }', { input: value });
      }),
      { numRuns: FUZZ_RUNS.generateBatch, seed: 11 },
    );
  });

  it('cancelJob, deleteJob, retryJob: any id gives a typed error or a result', async () => {
    const ids = (await server.gql<{ jobs: { edges: { node: { id: string } }[] } }>('{ jobs(first: 5) { edges { node { id } } } }')).data?.jobs.edges.map((e) => e.node.id) ?? [];
    const id = fc.oneof(hostileString, fc.constantFrom(...ids, 'Job:1'), fc.string().map((s) => Buffer.from(`Job:${s}`).toString('base64')));
    const mutation = fc.constantFrom(
      'mutation($id: ID!) { cancelJob(id: $id) { id status } }',
      'mutation($id: ID!) { deleteJob(id: $id, deleteFiles: true) { deletedId } }',
      'mutation($id: ID!) { retryJob(id: $id) { id status } }',
    );
    await fc.assert(
      fc.asyncProperty(mutation, id, async (query, value) => {
        await gqlChecked(query, { id: value });
      }),
      { numRuns: FUZZ_RUNS.jobIds, seed: 12 },
    );
  });

  it('updateConfig: hostile values give typed errors or a valid config', async () => {
    const input = fc.record({
      generation: maybe(fc.record({ steps: maybe(hostileNumber), width: maybe(hostileNumber), guidanceScale: maybe(hostileNumber), scheduler: maybe(hostileString), negativePrompt: maybe(hostileString) })),
      saveMetadata: maybe(fc.boolean()),
    });
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        await gqlChecked('mutation($input: ConfigUpdateInput!) { updateConfig(input: $input) { generation { steps width } } }', { input: value });
      }),
      { numRuns: FUZZ_RUNS.updateConfig, seed: 13 },
    );
    // The config still parses: the server answers its config query.
    expect((await server.gql('{ config { generation { steps } } }')).errors).toBeUndefined();
  });

  it('REST routes: traversal and junk paths never leave the output folder or leak paths', async () => {
    const segment = fc.oneof(fc.constantFrom('..', '%2e%2e', '%2E%2e', '.%2e', '%252e%252e', '%2f', '%5c', '..%2f', '..\\', '%00', 'config.yaml', 'data', 'etc', 'passwd', '~', '.', ''), fc.string({ maxLength: 8 }).map(encodeURIComponent));
    const route = fc.tuple(fc.constantFrom('/outputs/', '/lora-previews/', '/health', '/api/generate/batch', '/', '/graphql/'), fc.array(segment, { maxLength: 6 }), fc.constantFrom('', '?w=64', '?w=../../x', '?w=%00'));
    await fc.assert(
      fc.asyncProperty(route, fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE'), async ([prefix, parts, query], method) => {
        const res = await fetch(`${server.url}${prefix}${parts.join('/')}${query}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{' : undefined });
        const body = await res.text();
        expect(res.status).not.toBe(500);
        expect(body).not.toContain(server.root);
        expect(body).not.toMatch(/root:x:0:0|model:\s*\n/);
      }),
      { numRuns: FUZZ_RUNS.rest, seed: 14 },
    );
  });

  it('afterwards: the server answers, no job is left running, queue counts match the job list', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await waitUntil(async () => {
      const { data } = await server.gql<{ queue: { running: number; queued: number } }>('{ queue { running queued } }');
      return data?.queue.running === 0 && data.queue.queued === 0;
    }, 'queue to drain');
    const { data } = await server.gql<{ queue: Record<string, number>; jobs: { totalCount: number } }>('{ queue { queued running succeeded failed cancelled } jobs(first: 1) { totalCount } }');
    const sum = Object.values(data!.queue).reduce((a, b) => a + b, 0);
    expect(sum).toBe(data!.jobs.totalCount);
  });
});
