import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngTextMap } from '../../server/engine/image/png-read.ts';
import { EngineWorker, type GenerateRequest } from '../../server/worker/engine-client.ts';
import { randomLora, sdxlShapedLora, writeSafetensors } from '../helpers/lora-writer.ts';
import { attentionLayers } from '../unit/lora/tiny-model.ts';
import { forge, tempDir } from './engine-fixtures.ts';

const root = tempDir('engine-lora');
const loraDir = join(root.path, 'loras');
let modelDir: string;
let engine: EngineWorker;
const logs: string[] = [];

const request = (name: string, loras?: GenerateRequest['loras']): GenerateRequest => ({
  prompt: 'a tarot card of the sun',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 7,
  seed: '77',
  scheduler: 'euler',
  outputPath: join(root.path, 'out', `${name}.png`),
  ...(loras ? { loras } : {}),
});

async function pixels(path: string): Promise<Buffer> {
  return sharp(path).raw().toBuffer();
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the job to fail');
}

beforeAll(async () => {
  modelDir = await forge(root.path, 'tiny', { preset: 'tiny' });
  mkdirSync(loraDir, { recursive: true });
  const layers = attentionLayers(modelDir);
  expect(layers.some((l) => l.component === 'text_encoder')).toBe(true);
  writeSafetensors(join(loraDir, 'card_layout.safetensors'), randomLora(layers, { format: 'kohya', rank: 4, alpha: 4, seed: 3 }).tensors);
  const sdxl = sdxlShapedLora(9);
  writeSafetensors(join(loraDir, 'xl_style.safetensors'), sdxl.tensors, sdxl.metadata);
  engine = await EngineWorker.start({ modelDir, device: 'cpu', threads: 1, dataDir: join(root.path, 'data'), loraDir, loraStrict: false, loraCacheMb: 64 }, { log: (line) => logs.push(line) });
}, 120_000);

afterAll(async () => {
  await engine?.close();
  root.remove();
});

describe('EngineWorker with LoRAs', () => {
  let base: Buffer;

  it('a LoRA changes the pixels, is reported per LoRA and recorded in the sidecar and PNG', async () => {
    base = await pixels((await engine.generate('base', request('base'))).imagePath);
    const result = await engine.generate('lora', request('lora', [{ name: 'card_layout', weight: 0.8 }]));
    const withLora = await pixels(result.imagePath);
    expect(withLora.equals(base)).toBe(false);

    const sha256 = createHash('sha256').update(readFileSync(join(loraDir, 'card_layout.safetensors'))).digest('hex');
    const [report] = result.loras ?? [];
    expect(report).toMatchObject({ name: 'card_layout', weight: 0.8, sha256, shortHash: sha256.slice(0, 10), unmatchedKeys: [] });
    expect(report.matched).toBeGreaterThan(0);
    expect(report.matched).toBe(report.total);
    const sidecar = JSON.parse(readFileSync(result.sidecarPath, 'utf8'));
    expect(sidecar.loras).toEqual([{ name: 'card_layout', weight: 0.8, hash: sha256.slice(0, 10), sha256, shortHash: sha256.slice(0, 10), matched: report.matched, total: report.total }]);
    const text = readPngTextMap(readFileSync(result.imagePath));
    expect(text.parameters).toContain('<lora:card_layout:0.8>');
    expect(text.parameters).toContain(`Lora hashes: "card_layout: ${sha256.slice(0, 10)}"`);
  });

  it('the same LoRA and seed again gives the same pixels, from the cached merge', async () => {
    const merges = () => logs.filter((line) => /^lora: merged card_layout:0.8 /.test(line)).length;
    expect(merges()).toBe(1);
    const first = await pixels(join(root.path, 'out', 'lora.png'));
    const again = await pixels((await engine.generate('lora-again', request('lora-again', [{ name: 'card_layout', weight: 0.8 }]))).imagePath);
    expect(again.equals(first)).toBe(true);
    expect(merges()).toBe(1);
    expect(logs.some((line) => /card_layout:0.8 reused from the cache/.test(line))).toBe(true);
  });

  it('weight 0 gives exactly the base pixels', async () => {
    const result = await engine.generate('zero', request('zero', [{ name: 'card_layout', weight: 0 }]));
    expect((await pixels(result.imagePath)).equals(base)).toBe(true);
    expect(result.loras?.[0]).toMatchObject({ name: 'card_layout', weight: 0, matched: 0 });
  });

  it('a job without LoRAs after LoRA jobs gives the base pixels again (base sessions untouched)', async () => {
    const result = await engine.generate('base-after', request('base-after'));
    expect((await pixels(result.imagePath)).equals(base)).toBe(true);
    expect(result.loras).toEqual([]);
  });

  it('refuses an SDXL LoRA with LORA_INCOMPATIBLE and the reason in words', async () => {
    const error = await failure(engine.generate('xl', request('xl', [{ name: 'xl_style', weight: 1 }])));
    expect(error.code).toBe('LORA_INCOMPATIBLE');
    expect(error.message).toMatch(/SDXL/);
    expect(error.message).toMatch(/SD1\.5/);
  });

  it('an unknown name is NOT_FOUND and a path is BAD_USER_INPUT', async () => {
    expect((await failure(engine.generate('missing', request('missing', [{ name: 'nope', weight: 1 }])))).code).toBe('NOT_FOUND');
    const path = await failure(engine.generate('path', request('path', [{ name: '../x', weight: 1 }])));
    expect(path.code).toBe('BAD_USER_INPUT');
    expect(path.message).toMatch(/not a LoRA name/);
  });
});

describe('imagineer generate --lora', () => {
  const bin = fileURLToPath(new URL('../../bin/imagineer.mjs', import.meta.url));

  it('prints the load report and writes the LoRA hashes into the sidecar', async () => {
    const output = join(root.path, 'cli', 'card.png');
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [bin, 'generate', '--prompt', 'a card', '--model', modelDir, '--output', output, '--width', '64', '--height', '64', '--steps', '2', '--seed', '5',
        '--lora', 'card_layout:0.6', '--lora-dir', loraDir],
      { timeout: 120_000 },
    );
    expect(stderr).toMatch(/lora card_layout: (\d+)\/\1 keys matched/);
    const sidecar = JSON.parse(readFileSync(join(root.path, 'cli', 'card.json'), 'utf8'));
    const sha256 = createHash('sha256').update(readFileSync(join(loraDir, 'card_layout.safetensors'))).digest('hex');
    expect(sidecar.loras).toMatchObject([{ name: 'card_layout', weight: 0.6, sha256, shortHash: sha256.slice(0, 10) }]);
  });

  it('imagineer loras lists the folder with hashes and base models', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'loras', '--lora-dir', loraDir], { timeout: 60_000 });
    const sha256 = createHash('sha256').update(readFileSync(join(loraDir, 'card_layout.safetensors'))).digest('hex');
    expect(stdout).toMatch(new RegExp(`^card_layout .* ${sha256.slice(0, 10)} +base unknown +rank 4 +modules text_encoder, unet`, 'm'));
    expect(stdout).toMatch(/^xl_style .* base sdxl/m);
  });

  it('an unknown LoRA fails with its code and message', async () => {
    const run = await promisify(execFile)(
      process.execPath,
      [bin, 'generate', '--prompt', 'a card', '--model', modelDir, '--output', join(root.path, 'cli', 'x.png'), '--steps', '1', '--width', '64', '--height', '64',
        '--lora', 'nope', '--lora-dir', loraDir],
      { timeout: 120_000 },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(run).toMatchObject({ code: 1 });
    expect((run as { stderr: string }).stderr).toMatch(/NOT_FOUND: no LoRA named "nope"/);
  });
});
