import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { forgeModel, type ForgeOptions } from '../../../server/engine/forge/index.ts';
import { readModel, tempDir } from './helpers.ts';

function digests(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

async function forge(options: Omit<ForgeOptions, 'outDir' | 'preset'>): Promise<Record<string, string>> {
  const dir = tempDir('determinism');
  dirs.push(dir);
  await forgeModel({ preset: 'tiny', outDir: dir.path, ...options });
  return digests(dir.path);
}

describe('seeded weights', () => {
  it('the same seed writes byte-identical folders; another seed changes every model', async () => {
    const first = await forge({ seed: 7, layout: 'optimum' });
    const again = await forge({ seed: 7, layout: 'optimum' });
    const other = await forge({ seed: 8, layout: 'optimum' });
    expect(again).toEqual(first);
    expect(Object.keys(first)).toContain('unet/model.onnx_data');
    for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      expect(other[`${component}/model.onnx_data`], component).not.toBe(first[`${component}/model.onnx_data`]);
    }
    expect(other['tokenizer/vocab.json']).toBe(first['tokenizer/vocab.json']);
  });

  it('embedded and external layouts hold the same weights for a seed', async () => {
    const embedded = tempDir('embedded');
    const external = tempDir('external');
    dirs.push(embedded, external);
    await forgeModel({ preset: 'tiny', outDir: embedded.path, seed: 3, dtype: 'float16' });
    await forgeModel({ preset: 'tiny', outDir: external.path, seed: 3, dtype: 'float16', externalData: true });
    const inline = readModel(join(embedded.path, 'unet', 'model.onnx')).graph!.initializer!;
    const outside = readModel(join(external.path, 'unet', 'model.onnx')).graph!.initializer!;
    const data = readFileSync(join(external.path, 'unet', 'weights.pb'));
    expect(outside.map((t) => t.name)).toEqual(inline.map((t) => t.name));
    let externalCount = 0;
    outside.forEach((tensor, i) => {
      let bytes = tensor.rawData;
      if (tensor.dataLocation === 1) {
        externalCount += 1;
        const entry = Object.fromEntries(tensor.externalData!.map((e) => [e.key, e.value]));
        expect(entry.location).toBe('weights.pb');
        bytes = data.subarray(Number(entry.offset), Number(entry.offset) + Number(entry.length));
      }
      expect(Buffer.from(bytes!).equals(Buffer.from(inline[i].rawData!)), tensor.name ?? '').toBe(true);
    });
    expect(externalCount).toBeGreaterThan(10);
  });
});
