import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeModel } from '../../../server/engine/forge/index.ts';
import { HubError, importModel, listLocalModels, pullModel } from '../../../server/hub/index.ts';
import { startFakeHub, type FakeHub } from '../../helpers/fake-hub.ts';

const REPO = 'imagineer-test/tiny-sd15-onnx';
let source: string;
let notSd: string;
let hub: FakeHub;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function pullError(options: Parameters<typeof pullModel>[0]): Promise<HubError> {
  const error = await pullModel(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'imagineer-hub-'));
  source = join(root, 'source');
  await forgeModel({ preset: 'tiny', outDir: source, seed: 3 });
  notSd = join(root, 'not-sd');
  mkdirSync(notSd);
  writeFileSync(join(notSd, 'README.md'), 'a text model');
  hub = await startFakeHub({ [REPO]: source, 'imagineer-test/not-sd': notSd });
});

afterAll(() => hub?.close());

describe('models pull (against a loopback server speaking the hub file API)', () => {
  it('downloads every component file byte for byte, then skips them on a second pull', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'imagineer-cache-'));
    const progress: number[] = [];
    const result = await pullModel({ repo: REPO, cacheDir, hubUrl: hub.url, onProgress: (p) => progress.push(p.doneBytes) });
    expect(result.dir).toBe(join(cacheDir, 'imagineer-test--tiny-sd15-onnx'));
    for (const file of ['model_index.json', 'unet/model.onnx', 'text_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'scheduler/scheduler_config.json']) {
      expect(sha256(join(result.dir, file)), file).toBe(sha256(join(source, file)));
    }
    expect(progress.at(-1)).toBe(result.files.reduce((s, f) => s + f.size, 0));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const again = await pullModel({ repo: REPO, cacheDir, hubUrl: hub.url });
    expect(again.downloadedBytes).toBe(0);
    expect(again.files.every((f) => f.skipped)).toBe(true);
    expect(listLocalModels(cacheDir).map((m) => [m.name, m.source])).toEqual([['imagineer-test--tiny-sd15-onnx', `hub ${REPO}@main`]]);
  });

  it('resumes an interrupted download with a range request', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'imagineer-cache-'));
    hub.cutNextDownload('unet/model.onnx', 64 * 1024);
    const interrupted = await pullError({ repo: REPO, cacheDir, hubUrl: hub.url });
    expect(interrupted.message).toMatch(/run the pull again/);
    const partial = join(cacheDir, 'imagineer-test--tiny-sd15-onnx', 'unet', 'model.onnx.partial');
    expect(existsSync(partial)).toBe(true);
    expect(existsSync(join(cacheDir, 'imagineer-test--tiny-sd15-onnx', 'unet', 'model.onnx'))).toBe(false);

    const result = await pullModel({ repo: REPO, cacheDir, hubUrl: hub.url });
    const unet = result.files.find((f) => f.path === 'unet/model.onnx');
    expect(unet?.resumedFrom).toBeGreaterThan(0);
    const lastRange = hub.requests.filter((r) => r.path === 'unet/model.onnx').at(-1)?.range;
    expect(lastRange).toBe(`bytes=${unet?.resumedFrom}-${(unet?.size ?? 0) - 1}`);
    expect(sha256(join(result.dir, 'unet', 'model.onnx'))).toBe(sha256(join(source, 'unet', 'model.onnx')));
  });

  it('refuses a file whose sha256 differs from the listing and keeps it out of place', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'imagineer-cache-'));
    hub.corrupt('vae_decoder/model.onnx');
    try {
      const error = await pullError({ repo: REPO, cacheDir, hubUrl: hub.url });
      expect(error.code).toBe('HUB_INTEGRITY');
      expect(error.message).toMatch(/vae_decoder\/model\.onnx: sha256 [0-9a-f]{64} does not match/);
      expect(existsSync(join(cacheDir, 'imagineer-test--tiny-sd15-onnx', 'vae_decoder', 'model.onnx'))).toBe(false);
    } finally {
      hub.requests.length = 0;
    }
  });

  it('names what is missing from a repo that is not an SD1.5 ONNX export', async () => {
    const error = await pullError({ repo: 'imagineer-test/not-sd', cacheDir: tmpdir(), hubUrl: hub.url });
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/not a Stable Diffusion 1\.5 ONNX export: missing model_index\.json, unet\/model\.onnx/);
  });

  it('reports an unknown repo, a bad repo id and an unreachable hub in words', async () => {
    expect((await pullError({ repo: 'nobody/nothing', cacheDir: tmpdir(), hubUrl: hub.url })).code).toBe('HUB_NOT_FOUND');
    expect((await pullError({ repo: '../etc', cacheDir: tmpdir(), hubUrl: hub.url })).code).toBe('BAD_USER_INPUT');
    const offline = await pullError({ repo: REPO, cacheDir: tmpdir(), hubUrl: 'http://127.0.0.1:1' });
    expect(offline.code).toBe('HUB_OFFLINE');
    expect(offline.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1 .*imagineer models import/);
  });
});

describe('models import', () => {
  it('copies an export into the cache and refuses a folder that is not one', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'imagineer-cache-'));
    const model = importModel(source, cacheDir, { name: 'my-sd15' });
    expect(sha256(join(model.dir, 'unet', 'model.onnx'))).toBe(sha256(join(source, 'unet', 'model.onnx')));
    expect(listLocalModels(cacheDir).map((m) => m.name)).toEqual(['my-sd15']);
    expect(() => importModel(notSd, cacheDir)).toThrow(/not a Stable Diffusion 1\.5 ONNX export .*missing model_index\.json/);
    expect(() => importModel(source, cacheDir, { name: 'my-sd15' })).toThrow(/already exists/);
    expect(() => importModel(source, cacheDir, { name: '../escape' })).toThrow(/may only hold/);
  });
});
