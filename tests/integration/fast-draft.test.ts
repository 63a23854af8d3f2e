import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeLcmLora } from '../../server/engine/forge/lcm-lora.ts';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

// Issue 9, item 4: the fast draft preset through the real server, engine and SQLite on a tiny forged model.
let server: TestServer;
const lcmFile = () => join(server.config.lora.directory, 'lcm-lora-sdv1-5.safetensors');

beforeAll(async () => {
  server = await startTestServer();
  cpSync(fileURLToPath(new URL('../../sets', import.meta.url)), server.config.sets.directory, { recursive: true });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

interface JobView {
  id: string;
  status: string;
  steps: number;
  totalSteps: number;
  step: number;
  guidanceScale: number;
  scheduler: string;
  preset: string;
  decoder: string;
  loras: { name: string; weight: number }[];
  imageUrl: string | null;
  error: string | null;
}
const JOB_FIELDS = 'id status steps totalSteps step guidanceScale scheduler preset decoder loras { name weight } imageUrl error';

async function finished(id: string): Promise<JobView> {
  let job: JobView | undefined;
  await waitUntil(async () => {
    job = (await server.gql<{ job: JobView }>(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id })).data?.job;
    return job !== undefined && !['QUEUED', 'RUNNING'].includes(job.status);
  }, `job ${id} finished`);
  return job!;
}

function sidecarOf(job: JobView): Record<string, unknown> & { loras: { name: string; matched: number; total: number }[] } {
  const png = decodeURIComponent(job.imageUrl!.replace(/^\/outputs\//, '').split('?')[0]);
  return JSON.parse(readFileSync(join(server.outputDir, png).replace(/\.png$/, '.json'), 'utf8'));
}

const jobCount = async () => (await server.gql<{ jobs: { totalCount: number } }>('{ jobs { totalCount } }')).data!.jobs.totalCount;

describe('fast draft preset', () => {
  it('without the LCM-LoRA file is refused naming the file and where to get it; nothing is queued', async () => {
    const before = await jobCount();
    const res = await server.gql('mutation { generate(input: { prompt: "a card", preset: FAST_DRAFT }) { jobs { id } } }');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'preset' });
    expect(res.errors?.[0].message).toContain('lcm-lora-sdv1-5.safetensors');
    expect(res.errors?.[0].message).toContain('latent-consistency/lcm-lora-sdv1-5');
    expect(res.errors?.[0].message).not.toContain(server.root);
    const batch = await server.gql('mutation { generateBatch(input: { setId: "zodiac", limit: 2, preset: FAST_DRAFT }) { batch { id } } }');
    expect(batch.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'preset' });
    expect(await jobCount()).toBe(before);
  });

  it('runs 4 LCM steps at guidance 1 with the LoRA applied; the sidecar records scheduler, steps, LoRA, preset', async () => {
    forgeLcmLora(lcmFile(), { architecture: 'tiny', seed: 1 });
    const res = await server.gql<{ generate: { jobs: JobView[] } }>(
      `mutation { generate(input: { prompt: "a card", seed: "11", steps: 30, guidanceScale: 7, preset: FAST_DRAFT }) { jobs { ${JOB_FIELDS} } } }`,
    );
    expect(res.errors).toBeUndefined();
    const queued = res.data!.generate.jobs[0];
    expect(queued).toMatchObject({ steps: 4, totalSteps: 4, guidanceScale: 1, scheduler: 'lcm', preset: 'FAST_DRAFT', decoder: 'TINY' });
    expect(queued.loras).toEqual([{ name: 'lcm-lora-sdv1-5', weight: 1 }]);
    const job = await finished(queued.id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.step).toBe(4);
    const sidecar = sidecarOf(job);
    expect(sidecar).toMatchObject({ scheduler: 'lcm', steps: 4, guidanceScale: 1, seed: '11', preset: 'fast_draft' });
    expect(sidecar.loras).toHaveLength(1);
    expect(sidecar.loras[0]).toMatchObject({ name: 'lcm-lora-sdv1-5', weight: 1 });
    expect(sidecar.loras[0].matched).toBe(sidecar.loras[0].total);
    expect(sidecar.loras[0].matched).toBeGreaterThan(0);
    // The tiny decoder, or the full one with a note when this engine has no tiny decoder.
    const engine = (await server.gql<{ engine: { decoders: string[] } }>('{ engine { decoders } }')).data!.engine;
    if (engine.decoders.includes('tiny')) expect(sidecar.decoder).toBe('tiny');
    else expect(sidecar).toMatchObject({ decoder: 'full', decoderRequested: 'tiny', warnings: [expect.stringMatching(/no tiny decoder/)] });
  }, 120_000);

  it('an explicit decoder TINY on an engine without a TAESD is refused on field decoder, nothing queued', async () => {
    const engine = (await server.gql<{ engine: { state: string; decoders: string[] } }>('{ engine { state decoders } }')).data!.engine;
    expect(engine).toMatchObject({ state: 'READY', decoders: ['full'] });
    const before = await jobCount();
    const res = await server.gql('mutation { generate(input: { prompt: "a card", decoder: TINY }) { jobs { id } } }');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'decoder' });
    expect(res.errors?.[0].message).toMatch(/no tiny \(TAESD\) decoder.*model\.tiny_decoder/);
    expect(await jobCount()).toBe(before);
  });

  it('a standard job with decoder FULL records both; the default stays STANDARD/FULL', async () => {
    const res = await server.gql<{ generate: { jobs: JobView[] } }>(
      `mutation { generate(input: { prompt: "a card", seed: "2", decoder: FULL }) { jobs { ${JOB_FIELDS} } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.generate.jobs[0]).toMatchObject({ preset: 'STANDARD', decoder: 'FULL', scheduler: 'euler', steps: 2 });
    const job = await finished(res.data!.generate.jobs[0].id);
    expect(sidecarOf(job)).toMatchObject({ preset: 'standard', decoder: 'full' });
  }, 120_000);

  it('a batch with the preset: every item at 4 LCM steps with the LoRA, through GraphQL and REST', async () => {
    const res = await server.gql<{ generateBatch: { batch: { id: string }; jobs: JobView[] } }>(
      `mutation { generateBatch(input: { setId: "zodiac", limit: 2, seed: "4", theme: "", preset: FAST_DRAFT, loras: [] }) { batch { id } jobs { ${JOB_FIELDS} } } }`,
    );
    expect(res.errors).toBeUndefined();
    const jobs = res.data!.generateBatch.jobs;
    expect(jobs).toHaveLength(2);
    for (const queued of jobs) {
      expect(queued).toMatchObject({ steps: 4, guidanceScale: 1, scheduler: 'lcm', preset: 'FAST_DRAFT' });
      const job = await finished(queued.id);
      expect(job.status).toBe('SUCCEEDED');
      expect(sidecarOf(job)).toMatchObject({ scheduler: 'lcm', steps: 4, preset: 'fast_draft', set: 'zodiac' });
    }
    const rest = await fetch(`${server.url}/api/generate/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setId: 'zodiac', limit: 1, theme: '', preset: 'fast-draft', decoder: 'FULL' }),
    });
    expect(rest.status).toBe(202);
    const body = (await rest.json()) as { jobIds: string[] };
    const job = await finished(body.jobIds[0]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', steps: 4, scheduler: 'lcm', preset: 'FAST_DRAFT', decoder: 'FULL' });
    const bad = await fetch(`${server.url}/api/generate/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setId: 'zodiac', preset: 'turbo' }),
    });
    expect(bad.status).toBe(400);
  }, 240_000);
});

describe('fast draft out of the box (demo model)', () => {
  it('works with no LoRA file in lora.directory: the demo model brings its own forged LCM-LoRA, outside that folder', async () => {
    const demo = await startTestServer({ modelDir: 'demo' });
    try {
      const res = await demo.gql<{ generate: { jobs: { id: string }[] } }>('mutation { generate(input: { prompt: "a card", seed: "1", preset: FAST_DRAFT }) { jobs { id } } }');
      expect(res.errors).toBeUndefined();
      const id = res.data!.generate.jobs[0].id;
      let status = '';
      await waitUntil(async () => {
        status = (await demo.gql<{ job: { status: string } }>('query($id: ID!) { job(id: $id) { status } }', { id })).data!.job.status;
        return !['QUEUED', 'RUNNING'].includes(status);
      }, 'demo fast draft job finished');
      expect(status).toBe('SUCCEEDED');
      const loras = (await demo.gql<{ loras: { name: string }[] }>('{ loras { name } }')).data!.loras;
      expect(loras).toEqual([]);
      expect(readFileSync(join(demo.dataDir, 'models', 'demo', 'loras', 'lcm-lora-sdv1-5.safetensors')).byteLength).toBeGreaterThan(1e6);
    } finally {
      await demo.close();
    }
  }, 180_000);
});
