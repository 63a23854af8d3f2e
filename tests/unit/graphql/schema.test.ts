import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSchemaSdl } from '../../../server/graphql/index.ts';

describe('schema.graphql', () => {
  it('matches the Pothos schema (run `npm run schema` after changing it)', () => {
    const committed = readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });

  it('keeps the contract names clients rely on', () => {
    const sdl = printSchemaSdl();
    for (const field of ['health: Health!', 'engine: Engine!', 'config: Config!', 'node(id: ID!): Node', 'job(id: ID!): Job!']) expect(sdl).toContain(field);
    expect(sdl).toMatch(/jobs\(after: String, batchId: ID, before: String, first: Int, last: Int, status: JobStatus\): JobConnection!/);
    expect(sdl).toMatch(/generate\(input: GenerateInput!\): GeneratePayload!/);
    expect(sdl).toMatch(/jobProgress\(jobId: ID!\): JobProgress!/);
    expect(sdl).toMatch(/enum JobStatus {\s+CANCELLED\s+FAILED\s+QUEUED\s+RUNNING\s+SUCCEEDED\s+}/);
    expect(sdl).toMatch(/seed: String/);
  });
});
