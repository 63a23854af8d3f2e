import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  a1111Parameters,
  buildSidecar,
  decodedToRgb8,
  encodePng,
  latentPreview,
  sidecarPathFor,
  writePng,
  writeSidecar,
} from '../../../server/engine/image/index.ts';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('decoded image → RGB8', () => {
  it('maps −1 … 1 to 0 … 255 with clamping and rounding, planar to interleaved', () => {
    // 2×1 image: R plane, G plane, B plane.
    const chw = Float32Array.of(-1, 1, 0, 2, -3, 0.5);
    expect(Array.from(decodedToRgb8(chw, 2, 1))).toEqual([0, 128, 0, 255, 255, 191]);
  });
});

describe('latent preview', () => {
  it('applies the SD1.5 latent → RGB factors and (v + 1) · 127.5', () => {
    // One pixel, latent channels (1, 0, 0, 0) → first factor row.
    const preview = latentPreview(Float32Array.of(1, 0, 0, 0), 1, 1);
    expect(Array.from(preview.rgb)).toEqual([172, 157, 169]);
    expect(Array.from(latentPreview(Float32Array.of(0, 0, 0, 0), 1, 1).rgb)).toEqual([128, 128, 128]);
    expect(Array.from(latentPreview(Float32Array.of(0, 0, 0, -10), 1, 1).rgb)).toEqual([255, 255, 255]);
  });
});

describe('PNG and sidecar', () => {
  const sidecar = buildSidecar(
    {
      prompt: 'a red fox',
      negativePrompt: 'blurry',
      seed: 18446744073709551615n,
      rng: 'torch',
      steps: 20,
      scheduler: 'dpmpp_2m',
      guidanceScale: 7.5,
      width: 16,
      height: 8,
      model: 'demo',
      timings: { totalMs: 12 },
      created: new Date('2026-01-02T03:04:05Z'),
    },
    { set: 'tarot', item: 'The Fool', seed: 'must not override' },
  );

  it('writes a decodable PNG of the right size, with the A1111 parameters text, and leaves no temp file', async () => {
    const dir = tempDir('imagineer-png-');
    const rgb = new Uint8Array(16 * 8 * 3).map((_, i) => i % 251);
    const path = join(dir, 'out.png');
    await writePng(path, { width: 16, height: 8, rgb }, { parameters: a1111Parameters(sidecar) });
    expect(readdirSync(dir)).toEqual(['out.png']);
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([16, 8, 3]);
    expect(Buffer.compare(data, Buffer.from(rgb))).toBe(0);
    const text = readFileSync(path).toString('utf8');
    expect(text).toContain('iTXtparameters');
    expect(text).toContain('Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 18446744073709551615, Size: 16x8');
  });

  it('keeps the seed as a string, the settings first and extra keys without overriding them', async () => {
    expect(sidecar.seed).toBe('18446744073709551615');
    expect(sidecar.set).toBe('tarot');
    expect(Object.keys(sidecar).slice(0, 3)).toEqual(['prompt', 'negativePrompt', 'seed']);
    const dir = tempDir('imagineer-sidecar-');
    const written = await writeSidecar(join(dir, 'x.png'), sidecar);
    expect(written).toBe(join(dir, 'x.json'));
    expect(JSON.parse(readFileSync(written, 'utf8'))).toEqual({ ...sidecar, created: '2026-01-02T03:04:05.000Z' });
    expect(sidecarPathFor('/a/b.PNG')).toBe('/a/b.json');
  });

  it('encodes a preview PNG in memory', async () => {
    const png = await encodePng(latentPreview(new Float32Array(4 * 8 * 8), 8, 8));
    expect((await sharp(png).metadata()).width).toBe(8);
  });
});
