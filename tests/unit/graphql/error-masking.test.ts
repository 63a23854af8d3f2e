import { describe, expect, it } from 'vitest';
import type { ServerServices } from '../../../server/graphql/index.ts';
import { createImagineerYoga } from '../../../server/http/yoga.ts';

// Only the pieces these queries touch; anything else would throw (and be masked) if reached.
const services = {
  repos: {
    jobs: {
      counts: () => {
        throw new Error('SQLITE_CORRUPT at /home/someone/secret/imagineer.db');
      },
      get: () => undefined,
    },
  },
  engine: () => ({ state: 'READY', model: 'demo', modelDir: '/home/someone/models/demo', provider: 'cpu', isDemo: true, schedulers: ['euler'], rngs: ['torch'], error: null }),
  startedAt: Date.now(),
  version: 'test',
} as unknown as ServerServices;

async function query(yoga: ReturnType<typeof createImagineerYoga>, text: string) {
  const response = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
  return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('error masking', () => {
  const yoga = createImagineerYoga(services, { log: () => undefined });

  it('hides unexpected errors behind a generic message', async () => {
    const result = await query(yoga, '{ queue { queued } }');
    expect(result.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(result)).not.toMatch(/SQLITE|secret|someone/);
  });

  it('passes errors meant for the user through with their code', async () => {
    const result = await query(yoga, '{ job(id: "Sm9iOjE=") { id } }');
    expect(result.errors?.[0]).toMatchObject({ message: 'no job with id Sm9iOjE=', extensions: { code: 'NOT_FOUND' } });
  });

  it('does not expose the model folder path', async () => {
    const result = await query(yoga, '{ engine { model provider isDemo } }');
    expect(result.data).toEqual({ engine: { model: 'demo', provider: 'cpu', isDemo: true } });
  });
});
