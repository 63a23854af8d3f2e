import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseA1111Parameters } from '../../../server/engine/image/a1111-parameters.ts';
import { a1111Parameters, buildSidecar, encodePng } from '../../../server/engine/image/index.ts';
import { PngReadError, readPngText, readPngTextMap } from '../../../server/engine/image/png-read.ts';

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), body])));
  return Buffer.concat([length, Buffer.from(type, 'latin1'), body, crc]);
}

/** A PNG with the given chunks inserted after IHDR, built by hand the way A1111 (PIL) writes tEXt. */
async function pngWith(...extra: Buffer[]): Promise<Buffer> {
  const plain = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#336699' } }).png().toBuffer();
  return Buffer.concat([plain.subarray(0, 33), ...extra, plain.subarray(33)]);
}

const A1111_TEXT =
  'masterpiece, a castle on a hill <lora:pixelArt:0.8>, sunset\n' +
  'Negative prompt: blurry, lowres\n' +
  'Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3735928559, Size: 512x768, Model hash: 6ce0161689, ' +
  'Model: v1-5-pruned-emaonly, Lora hashes: "pixelArt: 1a2b3c4d5e6f", Version: v1.10.1';

describe('readPngText', () => {
  it('reads an A1111-style tEXt parameters chunk', async () => {
    const png = await pngWith(chunk('tEXt', Buffer.from(`parameters\0${A1111_TEXT}`, 'latin1')));
    expect(readPngText(png)).toEqual([{ keyword: 'parameters', text: A1111_TEXT, chunk: 'tEXt' }]);
  });

  it('reads zTXt and compressed and uncompressed iTXt (UTF-8)', async () => {
    const ztxt = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from('café', 'latin1'))]));
    const itxtZ = chunk('iTXt', Buffer.concat([Buffer.from('parameters\0\x01\x00en\0\0', 'latin1'), deflateSync(Buffer.from('дракон ✨', 'utf8'))]));
    const itxt = chunk('iTXt', Buffer.concat([Buffer.from('imagineer\0\0\0\0\0', 'latin1'), Buffer.from('{"a":"ü"}', 'utf8')]));
    const map = readPngTextMap(await pngWith(ztxt, itxtZ, itxt));
    expect(map).toEqual({ Comment: 'café', parameters: 'дракон ✨', imagineer: '{"a":"ü"}' });
  });

  it('refuses a non-PNG, a truncated chunk and a bad CRC', async () => {
    expect(() => readPngText(Buffer.from('GIF89a'))).toThrow(PngReadError);
    const good = await pngWith(chunk('tEXt', Buffer.from('k\0v')));
    expect(() => readPngText(good.subarray(0, 47))).toThrow(/truncated/);
    const bad = Buffer.from(good);
    bad[33 + 8] ^= 0xff;
    expect(() => readPngText(bad)).toThrow(/bad CRC/);
  });

  it('reads back both chunks of a PNG we write', async () => {
    const sidecar = buildSidecar({
      prompt: 'a red dragon, ✨', negativePrompt: 'blurry', seed: 18446744073709551615n, rng: 'torch', steps: 20,
      scheduler: 'dpmpp_2m_karras', guidanceScale: 7.5, width: 512, height: 512, model: 'sd15', timings: {},
      loras: [{ name: 'ink', weight: 0.6, hash: 'abcdef123456' }],
    });
    const png = await encodePng({ width: 1, height: 1, rgb: new Uint8Array(3) }, { parameters: a1111Parameters(sidecar), imagineer: JSON.stringify(sidecar) });
    const map = readPngTextMap(png);
    expect(JSON.parse(map.imagineer)).toEqual(sidecar);
    const parsed = parseA1111Parameters(map.parameters);
    expect(parsed).toMatchObject({
      prompt: 'a red dragon, ✨', negativePrompt: 'blurry', steps: 20, sampler: 'DPM++ 2M Karras', scheduler: 'dpmpp_2m_karras',
      cfgScale: 7.5, seed: '18446744073709551615', width: 512, height: 512, model: 'sd15', loras: [{ name: 'ink', weight: 0.6 }],
    });
  });
});

describe('parseA1111Parameters', () => {
  it('parses A1111 output: multi-line prompt, quoted values, LoRA tags with hashes, Karras schedule type', () => {
    const parsed = parseA1111Parameters(A1111_TEXT);
    expect(parsed).toMatchObject({
      prompt: 'masterpiece, a castle on a hill , sunset', negativePrompt: 'blurry, lowres', steps: 28, sampler: 'DPM++ 2M',
      scheduler: 'dpmpp_2m_karras', cfgScale: 6.5, seed: '3735928559', width: 512, height: 768, model: 'v1-5-pruned-emaonly',
      modelHash: '6ce0161689', loras: [{ name: 'pixelArt', weight: 0.8, hash: '1a2b3c4d5e6f' }],
    });
    expect(parsed.settings.Version).toBe('v1.10.1');
  });

  it('keeps a prompt with no settings line and no negative prompt as the prompt', () => {
    expect(parseA1111Parameters('just a prompt: with a colon')).toMatchObject({ prompt: 'just a prompt: with a colon', negativePrompt: '', loras: [] });
    expect(parseA1111Parameters('line one\nline two\nSteps: 5, Seed: 1')).toMatchObject({ prompt: 'line one\nline two', steps: 5, seed: '1' });
  });

  it('never throws on arbitrary text', () => {
    for (const text of ['', '\n\n', 'Negative prompt:', 'Steps: x, Size: axb, Seed: -', '<lora:a:b>', '"', 'a: "unterminated, b: 1']) {
      expect(() => parseA1111Parameters(text)).not.toThrow();
    }
  });
});

describe('imagineer info', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'imagineer-info-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => execFileSync(process.execPath, ['bin/imagineer.mjs', 'info', ...args], { encoding: 'utf8' });

  it('prints the parameters of an A1111 PNG, and JSON with --json', async () => {
    const file = path.join(dir, 'a1111.png');
    writeFileSync(file, await pngWith(chunk('tEXt', Buffer.from(`parameters\0${A1111_TEXT}`, 'latin1'))));
    expect(cli([file])).toContain('Negative prompt: blurry, lowres');
    const json = JSON.parse(cli([file, '--json'])) as { settings: { steps: number }; imagineer: unknown };
    expect(json.settings.steps).toBe(28);
    expect(json.imagineer).toBeNull();
  });

  it('exits 2 on usage errors and 1 on a non-PNG', () => {
    const file = path.join(dir, 'not.png');
    writeFileSync(file, 'hello');
    expect(() => cli([])).toThrow(expect.objectContaining({ status: 2 }));
    expect(() => cli([file])).toThrow(expect.objectContaining({ status: 1 }));
  });
});
