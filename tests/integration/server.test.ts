import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type TestServer } from '../helpers/server.ts';

interface Progress {
  jobProgress: { step: number; totalSteps: number; status: string; sequence: number; etaMs: number | null; previewDataUrl: string | null };
}
type JobFields = { id: string; status: string; step: number; imageUrl: string | null; seed: string; width: number; height: number };

const PROGRESS = `subscription($id: ID!) { jobProgress(jobId: $id) { step totalSteps status sequence etaMs previewDataUrl } }`;
const GENERATE = `mutation($input: GenerateInput!) { generate(input: $input) { jobs { id status seed width height } } }`;

let server: TestServer;

async function generate(input: Record<string, unknown>): Promise<JobFields[]> {
  const result = await server.gql<{ generate: { jobs: JobFields[] } }>(GENERATE, { input: { prompt: 'a lighthouse at dusk', ...input } });
  expect(result.errors).toBeUndefined();
  return result.data!.generate.jobs;
}

async function job(id: string): Promise<JobFields> {
  const result = await server.gql<{ job: JobFields }>(`query($id: ID!) { job(id: $id) { id status step imageUrl seed width height } }`, { id });
  return result.data!.job;
}

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('generate and subscriptions over graphql-ws', () => {
  it('streams every step of a queued job in order, cancels a running job mid-run, serves the PNG at the requested size', async () => {
    const [blocker] = await generate({ width: 512, height: 512, steps: 150, seed: '1' });
    const [target] = await generate({ width: 64, height: 96, steps: 4, seed: '42' });

    const blockerEvents = server.subscribe<Progress>(PROGRESS, { id: blocker.id });
    await waitUntil(() => blockerEvents.events.some((e) => e.jobProgress.status === 'RUNNING' && e.jobProgress.step >= 1), 'blocker running');
    const targetEvents = server.subscribe<Progress>(PROGRESS, { id: target.id });
    await targetEvents.waitFor(1);
    expect(targetEvents.events[0].jobProgress).toMatchObject({ status: 'QUEUED', step: 0, totalSteps: 4 });

    const cancelled = await server.gql<{ cancelJob: { status: string; step: number } }>(`mutation($id: ID!) { cancelJob(id: $id) { status step } }`, { id: blocker.id });
    expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
    await blockerEvents.done;
    const lastBlocker = blockerEvents.events.at(-1)!.jobProgress;
    expect(lastBlocker.status).toBe('CANCELLED');
    expect(lastBlocker.step).toBeLessThan(150);
    expect((await job(blocker.id)).imageUrl).toBeNull();

    await targetEvents.done;
    const progress = targetEvents.events.map((e) => e.jobProgress);
    expect(progress.map((p) => [p.status, p.step])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 0],
      ['RUNNING', 1],
      ['RUNNING', 2],
      ['RUNNING', 3],
      ['RUNNING', 4],
      ['SUCCEEDED', 4],
    ]);
    const sequences = progress.map((p) => p.sequence);
    expect(sequences).toEqual(sequences.map((_, i) => sequences[0] + i));
    expect(progress[2].previewDataUrl).toMatch(/^data:image\/png;base64,/);

    const done = await job(target.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', step: 4, seed: '42' });
    expect(done.imageUrl).toMatch(/^\/outputs\/single\/\d{8}-\d{6}_\d+-a-lighthouse-at-dusk\.png$/);
    const response = await fetch(`${server.url}${done.imageUrl}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 96]);

    // The same job through node(id), and its image at the top of the images list.
    const node = await server.gql<{ node: { __typename: string; id: string; image: { id: string; url: string; width: number; height: number } } }>(
      `query($id: ID!) { node(id: $id) { __typename id ... on Job { image { id url width height } } } }`,
      { id: target.id },
    );
    expect(node.data!.node).toMatchObject({ __typename: 'Job', id: target.id, image: { url: done.imageUrl, width: 64, height: 96 } });
    const images = await server.gql<{ images: { edges: { node: { id: string; job: { id: string } } }[] } }>(`{ images(first: 1) { edges { node { id job { id } } } } }`);
    expect(images.data!.images.edges[0].node).toEqual({ id: node.data!.node.image.id, job: { id: target.id } });
  });

  it('gives a late subscriber the current step first, then the remaining steps without gaps', async () => {
    const [running] = await generate({ width: 256, height: 256, steps: 40, seed: '7' });
    const early = server.subscribe<Progress>(PROGRESS, { id: running.id });
    await waitUntil(() => early.events.some((e) => e.jobProgress.step >= 3), 'three steps');
    const late = server.subscribe<Progress>(PROGRESS, { id: running.id });
    await late.waitFor(1);
    const first = late.events[0].jobProgress;
    expect(first.status).toBe('RUNNING');
    expect(first.step).toBeGreaterThanOrEqual(3);
    // The first event is exactly what the early subscriber had seen by then (same sequence number).
    expect(early.events.map((e) => e.jobProgress.sequence)).toContain(first.sequence);
    await Promise.all([early.done, late.done]);
    const steps = late.events.map((e) => e.jobProgress).filter((p) => p.status === 'RUNNING').map((p) => p.step);
    expect(steps).toEqual(Array.from({ length: 40 - first.step + 1 }, (_, i) => first.step + i));
    expect(late.events.at(-1)!.jobProgress.status).toBe('SUCCEEDED');
  });

  it('a subscriber to a finished job gets its final state and completes', async () => {
    const [finished] = await generate({ steps: 1 });
    await waitUntil(async () => (await job(finished.id)).status === 'SUCCEEDED', 'job done');
    const sub = server.subscribe<Progress>(PROGRESS, { id: finished.id });
    await sub.done;
    expect(sub.events.map((e) => [e.jobProgress.status, e.jobProgress.step])).toEqual([['SUCCEEDED', 1]]);
  });

  it('runs 50 queued jobs in FIFO order', async () => {
    const updates = server.subscribe<{ jobUpdated: { id: string; status: string } }>(`subscription { jobUpdated { id status } }`);
    // The subscription has no first event: probe with small jobs until one shows up, then it is live.
    const probes = new Set<string>();
    await waitUntil(async () => {
      probes.add((await generate({ steps: 1 }))[0].id);
      return updates.events.some((e) => probes.has(e.jobUpdated.id));
    }, 'subscription live');
    // A long job holds the worker while the 50 are queued.
    const [blocker] = await generate({ width: 512, height: 512, steps: 150 });
    await waitUntil(() => updates.events.some((e) => e.jobUpdated.id === blocker.id && e.jobUpdated.status === 'RUNNING'), 'blocker running');
    const queued: JobFields[] = [];
    // Several requests of several images each: FIFO holds across requests too.
    for (let i = 0; i < 5; i++) queued.push(...(await generate({ numImages: 10, steps: 1 + (i % 2), width: 64, height: 64, seed: String(i * 100) })));
    expect(queued).toHaveLength(50);
    await server.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: blocker.id });
    expect(queued.slice(0, 10).map((j) => j.seed)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    const ids = new Set(queued.map((j) => j.id));
    await waitUntil(() => updates.events.filter((e) => e.jobUpdated.status === 'SUCCEEDED' && ids.has(e.jobUpdated.id)).length >= 50, '50 jobs done');
    const succeededOrder = updates.events.filter((e) => e.jobUpdated.status === 'SUCCEEDED' && ids.has(e.jobUpdated.id)).map((e) => e.jobUpdated.id);
    const startedOrder = updates.events.filter((e) => e.jobUpdated.status === 'RUNNING' && ids.has(e.jobUpdated.id)).map((e) => e.jobUpdated.id);
    expect(succeededOrder).toEqual(queued.map((j) => j.id));
    expect(startedOrder).toEqual(queued.map((j) => j.id));
    updates.dispose();

    const page = await server.gql<{ jobs: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      `{ jobs(first: 20, status: SUCCEEDED) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
    );
    const succeededBefore = (await server.gql<{ queue: { succeeded: number } }>(`{ queue { succeeded } }`)).data!.queue.succeeded;
    expect(page.data!.jobs.totalCount).toBe(succeededBefore);
    expect(page.data!.jobs.edges.map((e) => e.node.id)).toEqual(queued.slice(-20).reverse().map((j) => j.id));
    expect(page.data!.jobs.pageInfo.hasNextPage).toBe(true);
    const next = await server.gql<{ jobs: { edges: { node: { id: string } }[] } }>(`query($after: String) { jobs(first: 20, after: $after, status: SUCCEEDED) { edges { node { id } } } }`, {
      after: page.data!.jobs.pageInfo.endCursor,
    });
    expect(next.data!.jobs.edges.map((e) => e.node.id)).toEqual(queued.slice(-40, -20).reverse().map((j) => j.id));
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, and keeps serving', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ width: 65 }, 'width'],
      [{ width: 4096 }, 'width'],
      [{ height: 56 }, 'height'],
      [{ width: 2048, height: 2048 }, 'width'],
      [{ steps: 0 }, 'steps'],
      [{ steps: 151 }, 'steps'],
      [{ guidanceScale: 30.5 }, 'guidanceScale'],
      [{ guidanceScale: -1 }, 'guidanceScale'],
      [{ prompt: 'x'.repeat(2001) }, 'prompt'],
      [{ negativePrompt: 'x'.repeat(2001) }, 'negativePrompt'],
      [{ scheduler: 'plms' }, 'scheduler'],
      [{ rng: 'mt' }, 'rng'],
      [{ seed: '-1' }, 'seed'],
      [{ seed: '18446744073709551616' }, 'seed'],
      [{ seed: '18446744073709551615', numImages: 2 }, 'seed'],
      [{ seed: '4294967296', rng: 'numpy' }, 'seed'],
      [{ seed: '1e3' }, 'seed'],
      [{ numImages: 0 }, 'numImages'],
      [{ loras: [{ name: '../../etc/passwd', weight: 1 }] }, 'loras.0.name'],
    ];
    for (const [input, field] of cases) {
      const result = await server.gql(GENERATE, { input: { prompt: 'a cat', ...input } });
      expect(result.errors?.[0]?.extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const unknown = await server.gql(`{ job(id: "Sm9iOjk5OTk5") { id } }`);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const malformed = await server.gql(`mutation { cancelJob(id: "not-an-id") { id } }`);
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const health = await server.gql<{ health: { status: string } }>(`{ health { status } }`);
    expect(health.data?.health.status).toBe('ok');
    const [accepted] = await generate({ seed: '18446744073709551615', steps: 1 });
    expect(accepted.seed).toBe('18446744073709551615');
  });

  it('retries a cancelled job as a new job and deletes jobs with their files', async () => {
    const removals = server.subscribe<{ jobDeleted: string }>(`subscription { jobDeleted }`);
    await waitUntil(async () => {
      // no first event on this subscription: delete throwaway finished jobs until one is reported
      const [probe] = await generate({ steps: 1 });
      await waitUntil(async () => (await job(probe.id)).status === 'SUCCEEDED', 'probe done');
      await server.gql(`mutation($id: ID!) { deleteJob(id: $id) { deletedId } }`, { id: probe.id });
      return removals.events.length > 0;
    }, 'jobDeleted live');
    const [blocker] = await generate({ width: 512, height: 512, steps: 150 });
    const [queuedJob] = await generate({ steps: 1 });
    const cancel = await server.gql<{ cancelJob: { status: string } }>(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: queuedJob.id });
    expect(cancel.data?.cancelJob.status).toBe('CANCELLED');
    const retry = await server.gql<{ retryJob: { id: string; status: string; retryOf: { id: string } } }>(
      `mutation($id: ID!) { retryJob(id: $id) { id status retryOf { id } } }`,
      { id: queuedJob.id },
    );
    expect(retry.data?.retryJob).toMatchObject({ status: 'QUEUED', retryOf: { id: queuedJob.id } });
    const deleted = await server.gql<{ deleteJob: { deletedId: string } }>(`mutation($id: ID!) { deleteJob(id: $id) { deletedId } }`, { id: blocker.id });
    await waitUntil(() => removals.events.some((e) => e.jobDeleted === blocker.id), 'blocker deletion reported');
    removals.dispose();
    expect(deleted.data?.deleteJob.deletedId).toBe(blocker.id);
    const retried = retry.data!.retryJob.id;
    await waitUntil(async () => (await job(retried)).status === 'SUCCEEDED', 'retried job done');
    const imageUrl = (await job(retried)).imageUrl!;
    expect((await fetch(`${server.url}${imageUrl}`)).status).toBe(200);
    await server.gql(`mutation($id: ID!) { deleteJob(id: $id, deleteFiles: true) { deletedId } }`, { id: retried });
    expect((await server.gql(`query($id: ID!) { job(id: $id) { id } }`, { id: retried })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await fetch(`${server.url}${imageUrl}`)).status).toBe(404);
    const again = await server.gql(`mutation($id: ID!) { retryJob(id: $id) { id } }`, { id: queuedJob.id });
    expect(again.errors).toBeUndefined();
  });
});
