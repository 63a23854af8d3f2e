import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepositories, openDatabase, type OpenedDatabase, type Repositories } from '../../../server/db/index.ts';
import { MAX_GROUPED_JUMPS } from '../../../server/queue/worker-loop.ts';
import { createJobSystem, createQueuePubSub, type JobParameters, type JobProgressEvent, type JobSystem } from '../../../server/queue/index.ts';
import { ScriptedRunner } from './scripted-runner.ts';

const params = (over: Partial<JobParameters> = {}): JobParameters => ({
  prompt: 'a red fox',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 2,
  guidanceScale: 7,
  seed: '1',
  scheduler: 'euler',
  rng: 'torch',
  loras: [],
  ...over,
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

let dir: string;
let database: OpenedDatabase;
let repos: Repositories;
let system: JobSystem | undefined;

function startSystem(runner: ScriptedRunner): JobSystem {
  system = createJobSystem({ repos, runner, pubSub: createQueuePubSub(), outputDir: path.join(dir, 'outputs') });
  return system;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'imagineer-queue-'));
  database = openDatabase(dir);
  repos = createRepositories(database.db);
});

afterEach(async () => {
  await system?.worker.stop();
  system = undefined;
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('job queue and worker loop', () => {
  it('runs jobs FIFO within priority, higher priority first', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const low = queue.enqueue([params(), params(), params()]);
    const high = queue.enqueue([params({ priority: 5 }), params({ priority: 5 })]);
    worker.start();
    await until(() => repos.jobs.counts().SUCCEEDED === 5);
    expect(runner.started).toEqual([...high, ...low].map((j) => j.id));
    const done = repos.jobs.get(low[0].id)!;
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, step: 2 });
    expect(done.imagePath).toMatch(/^single\/\d{8}-\d{6}_\d+-a-red-fox\.png$/);
    expect(repos.images.forJob(low[0].id)?.path).toBe(done.imagePath);
    expect(existsSync(path.join(dir, 'outputs', done.imagePath!))).toBe(true);
  });

  it('runs queued jobs with the LoRA set just used before older ones with another set, within a priority', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const style = [{ name: 'style', weight: 0.8 }];
    const lcm = [{ name: 'lcm-lora-sdv1-5', weight: 1 }];
    const jobs = queue.enqueue([params({ loras: style }), params({ loras: lcm }), params({ loras: style }), params({ loras: lcm }), params({ loras: style })]);
    const urgent = queue.enqueue([params({ loras: lcm, priority: 1 })]);
    worker.start();
    await until(() => repos.jobs.counts().SUCCEEDED === 6);
    const [s1, l1, s2, l2, s3] = jobs.map((j) => j.id);
    // Priority still comes first; then each set runs as a group, the group of the oldest job first.
    expect(runner.started).toEqual([urgent[0].id, l1, l2, s1, s2, s3]);
  });

  it('lets a LoRA group pass older jobs only MAX_GROUPED_JUMPS times in a row', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const grouped = [{ name: 'style', weight: 1 }];
    const [first] = queue.enqueue([params({ loras: grouped })]);
    const [older] = queue.enqueue([params()]);
    const rest = queue.enqueue(Array.from({ length: MAX_GROUPED_JUMPS + 1 }, () => params({ loras: grouped })));
    worker.start();
    await until(() => repos.jobs.counts().SUCCEEDED === MAX_GROUPED_JUMPS + 3);
    expect(runner.started.slice(0, MAX_GROUPED_JUMPS + 2)).toEqual([first.id, ...rest.slice(0, MAX_GROUPED_JUMPS).map((j) => j.id), older.id]);
  });

  it('publishes every step in order, then the terminal status', async () => {
    const runner = new ScriptedRunner();
    const sys = startSystem(runner);
    const [job] = sys.queue.enqueue([params({ steps: 5 })]);
    const seen: JobProgressEvent[] = [];
    const iterator = sys.events.pubSub.subscribe('jobProgress', job.id);
    const collecting = (async () => {
      for await (const event of iterator) {
        seen.push(event);
        if (event.status === 'SUCCEEDED') break;
      }
    })();
    // the Repeater attaches its listener on first pull: give it a tick before starting
    await new Promise((r) => setTimeout(r, 5));
    sys.worker.start();
    await collecting;
    expect(seen.map((e) => [e.status, e.step])).toEqual([
      ['RUNNING', 0],
      ['RUNNING', 1],
      ['RUNNING', 2],
      ['RUNNING', 3],
      ['RUNNING', 4],
      ['RUNNING', 5],
      ['SUCCEEDED', 5],
    ]);
    expect(seen.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen[1].previewDataUrl).toMatch(/^data:image\/png;base64,/);
  });

  it('announces images to all-image and per-batch subscribers and counts finished batch jobs', async () => {
    const runner = new ScriptedRunner();
    const sys = startSystem(runner);
    const batch = repos.batches.insert({ setId: 'zodiac', theme: 't', seed: '1', directory: 'zodiac_x', totalJobs: 2, createdAt: 1 });
    const all = sys.events.pubSub.subscribe('imageAdded', 'all')[Symbol.asyncIterator]();
    const ofBatch = sys.events.pubSub.subscribe('imageAdded', String(batch.id))[Symbol.asyncIterator]();
    const counts = sys.events.pubSub.subscribe('batchProgress', batch.id)[Symbol.asyncIterator]();
    const [nextAll, nextBatch, nextCount] = [all.next(), ofBatch.next(), counts.next()];
    const [single] = sys.queue.enqueue([params()]);
    const [inBatch] = sys.queue.enqueue([params({ batchId: batch.id, outputName: 'zodiac_x/aries.png' })]);
    sys.worker.start();
    expect((await nextAll).value).toMatchObject({ jobId: single.id, batchId: null });
    expect((await nextBatch).value).toMatchObject({ jobId: inBatch.id, batchId: batch.id, path: 'zodiac_x/aries.png' });
    expect((await nextCount).value).toMatchObject({ id: batch.id, succeededJobs: 1 });
    await Promise.all([all.return?.(), ofBatch.return?.(), counts.return?.()]);
  });

  it('cancels a queued job at once and a running one before its next step', async () => {
    const runner = new ScriptedRunner(true);
    const { queue, worker } = startSystem(runner);
    const [first, second] = queue.enqueue([params({ steps: 10 }), params({ steps: 10 })]);
    worker.start();
    await runner.waitForWaiter();
    expect((await queue.cancel(second.id)).status).toBe('CANCELLED');
    runner.release();
    await runner.waitForWaiter();
    const cancelling = queue.cancel(first.id);
    expect(runner.signals.get(first.id)?.aborted).toBe(true);
    runner.release();
    const cancelled = await cancelling;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', errorCode: 'CANCELLED' });
    expect(cancelled.step).toBeLessThan(10);
    expect(runner.started).toEqual([first.id]);
  });

  it('re-queues jobs left RUNNING by a crash and finishes them', async () => {
    const [job] = repos.jobs.insertMany([{ ...params(), totalSteps: 2, createdAt: 1 }]);
    repos.jobs.claimNext(2);
    expect(repos.jobs.get(job.id)).toMatchObject({ status: 'RUNNING', attempts: 1 });
    const runner = new ScriptedRunner();
    startSystem(runner).worker.start();
    await until(() => repos.jobs.get(job.id)?.status === 'SUCCEEDED');
    expect(repos.jobs.get(job.id)?.attempts).toBe(2);
  });

  it('fails a job that was interrupted three times instead of starting it again', async () => {
    const [job] = repos.jobs.insertMany([{ ...params(), totalSteps: 2, createdAt: 1 }]);
    for (let i = 0; i < 3; i++) {
      repos.jobs.claimNext(2);
      if (i < 2) repos.jobs.requeueRunning();
    }
    expect(repos.jobs.get(job.id)).toMatchObject({ status: 'RUNNING', attempts: 3 });
    const runner = new ScriptedRunner();
    startSystem(runner).worker.start();
    expect(repos.jobs.get(job.id)).toMatchObject({ status: 'FAILED', errorCode: 'INTERRUPTED' });
    expect(runner.started).toEqual([]);
  });

  it('puts the running job back in the queue on shutdown', async () => {
    const runner = new ScriptedRunner(true);
    const { queue, worker } = startSystem(runner);
    const [job] = queue.enqueue([params({ steps: 3 })]);
    worker.start();
    await runner.waitForWaiter();
    const stopping = worker.stop();
    runner.release();
    await stopping;
    expect(repos.jobs.get(job.id)).toMatchObject({ status: 'QUEUED', step: 0 });
  });

  it('records engine error codes, masks unknown failures as INTERNAL', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const [a, b] = queue.enqueue([params(), params()]);
    runner.failWith.set(a.id, Object.assign(new Error('LoRA x is an SDXL LoRA'), { code: 'LORA_INCOMPATIBLE' }));
    runner.failWith.set(b.id, new Error('boom at /secret/path'));
    worker.start();
    await until(() => repos.jobs.counts().FAILED === 2);
    expect(repos.jobs.get(a.id)).toMatchObject({ status: 'FAILED', errorCode: 'LORA_INCOMPATIBLE', error: 'LoRA x is an SDXL LoRA' });
    expect(repos.jobs.get(b.id)).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL' });
  });

  it('retries a failed job as a new job and refuses to retry a succeeded one', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const [job] = queue.enqueue([params({ seed: '18446744073709551615' })]);
    runner.failWith.set(job.id, Object.assign(new Error('missing'), { code: 'MODEL_MISSING' }));
    worker.start();
    await until(() => repos.jobs.get(job.id)?.status === 'FAILED');
    const retried = queue.retry(job.id);
    expect(retried).toMatchObject({ retryOfId: job.id, status: 'QUEUED', seed: '18446744073709551615', attempts: 0 });
    await until(() => repos.jobs.get(retried.id)?.status === 'SUCCEEDED');
    expect(() => queue.retry(retried.id)).toThrow(/only FAILED or CANCELLED/);
    expect(repos.jobs.get(job.id)?.status).toBe('FAILED');
    expect(() => queue.retry(999)).toThrow(/no job/);
  });

  it('keeps batch counts right when a failed batch job is retried', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const batch = repos.batches.insert({ setId: 's', theme: 't', seed: '1', directory: 's_x', totalJobs: 1, createdAt: 1 });
    const [job] = queue.enqueue([params({ batchId: batch.id, outputName: 's_x/a.png' })]);
    runner.failWith.set(job.id, Object.assign(new Error('no'), { code: 'MODEL_MISSING' }));
    worker.start();
    await until(() => repos.batches.get(batch.id)?.failedJobs === 1);
    const retried = queue.retry(job.id);
    expect(repos.batches.get(batch.id)).toMatchObject({ failedJobs: 0, succeededJobs: 0 });
    await until(() => repos.jobs.get(retried.id)?.status === 'SUCCEEDED');
    expect(repos.batches.get(batch.id)).toMatchObject({ failedJobs: 0, succeededJobs: 1, totalJobs: 1 });
    // Without its retry the failed job counts again; without both, the batch is empty.
    await queue.delete(retried.id);
    expect(repos.batches.get(batch.id)).toMatchObject({ succeededJobs: 0, failedJobs: 1, totalJobs: 1 });
    await queue.delete(job.id);
    expect(repos.batches.get(batch.id)).toMatchObject({ failedJobs: 0, totalJobs: 0 });
  });

  it('deletes a job with its files on request', async () => {
    const runner = new ScriptedRunner();
    const { queue, worker } = startSystem(runner);
    const [keep, drop] = queue.enqueue([params(), params()]);
    worker.start();
    await until(() => repos.jobs.counts().SUCCEEDED === 2);
    const keptFile = path.join(dir, 'outputs', repos.jobs.get(keep.id)!.imagePath!);
    const droppedFile = path.join(dir, 'outputs', repos.jobs.get(drop.id)!.imagePath!);
    await queue.delete(keep.id);
    await queue.delete(drop.id, true);
    expect(repos.jobs.get(keep.id)).toBeUndefined();
    expect(repos.jobs.get(drop.id)).toBeUndefined();
    expect(existsSync(keptFile)).toBe(true);
    expect(existsSync(droppedFile)).toBe(false);
    expect(existsSync(droppedFile.replace(/\.png$/, '.json'))).toBe(false);
  });

  it('deleting a running job cancels it first', async () => {
    const runner = new ScriptedRunner(true);
    const { queue, worker } = startSystem(runner);
    const [job] = queue.enqueue([params({ steps: 5 })]);
    worker.start();
    await runner.waitForWaiter();
    const deleting = queue.delete(job.id);
    runner.release();
    expect((await deleting).id).toBe(job.id);
    expect(repos.jobs.get(job.id)).toBeUndefined();
  });
});
