import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoraError } from '../../../server/engine/lora/errors.ts';
import { listLoras, resolveLora } from '../../../server/engine/lora/library.ts';
import { randomLora, sd2ShapedLora, sdxlShapedLora, writeSafetensors, type TargetLayer } from '../../helpers/lora-writer.ts';
import { scratchDir } from './tiny-model.ts';

const sd15Layers: TargetLayer[] = [
  { component: 'unet', path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', outFeatures: 320, inFeatures: 768 },
  { component: 'unet', path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', outFeatures: 320, inFeatures: 320 },
  { component: 'text_encoder', path: 'text_model.encoder.layers.0.self_attn.q_proj', outFeatures: 768, inFeatures: 768 },
];

function library(): string {
  const dir = scratchDir('lora-lib-');
  const sd15 = randomLora(sd15Layers, { format: 'kohya', rank: 8, alpha: 4, seed: 1 });
  writeSafetensors(join(dir, 'ink.safetensors'), sd15.tensors, {
    ss_base_model_version: 'sd_v1',
    ss_tag_frequency: JSON.stringify({ '10_ink': { 'ink style': 12, monochrome: 30, ' card': 3 }, '5_more': { monochrome: 1, 'ink style': 40 } }),
    'modelspec.trigger_phrase': 'inkwash, sumi',
  });
  writeFileSync(join(dir, 'ink.preview.png'), 'png');
  const xl = sdxlShapedLora(2);
  writeSafetensors(join(dir, 'big.safetensors'), xl.tensors, xl.metadata);
  writeFileSync(join(dir, 'big.webp'), 'webp');
  const two = sd2ShapedLora(3);
  writeSafetensors(join(dir, 'two.safetensors'), two.tensors);
  writeFileSync(join(dir, 'broken.safetensors'), 'definitely not a safetensors file');
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  mkdirSync(join(dir, 'sub'));
  writeSafetensors(join(dir, 'sub', 'nested.safetensors'), sd15.tensors);
  return dir;
}

describe('LoRA library', () => {
  it('lists .safetensors files with hashes, base model, rank, modules, trigger words and previews; broken files listed with their error', async () => {
    const dir = library();
    const list = await listLoras(dir);
    expect(list.map((l) => l.name)).toEqual(['big', 'broken', 'ink', 'two']);
    const [big, broken, ink, two] = list;

    const sha = createHash('sha256').update(readFileSync(join(dir, 'ink.safetensors'))).digest('hex');
    expect(ink).toMatchObject({ sha256: sha, autoV2: sha.slice(0, 10), baseModel: 'sd15', rank: 8, modules: ['text_encoder', 'unet'] });
    expect(ink.size).toBe(readFileSync(join(dir, 'ink.safetensors')).length);
    expect(ink.legacyHash).toBe(createHash('sha256').update(Buffer.alloc(0)).digest('hex').slice(0, 8));
    expect(ink.triggerWords).toEqual(['inkwash', 'sumi', 'ink style', 'monochrome', 'card']);
    expect(ink.preview).toBe(join(dir, 'ink.preview.png'));
    expect(ink.error).toBeUndefined();

    expect(big).toMatchObject({ baseModel: 'sdxl', rank: 4, preview: join(dir, 'big.webp') });
    expect(big.baseModelReason).toContain('cross-attention input is 2048');
    expect(two).toMatchObject({ baseModel: 'sd2', modules: ['unet'], preview: undefined });

    expect(broken.error?.code).toBe('LORA_INVALID');
    expect(broken.error?.message).toContain('broken.safetensors');
    expect(broken.sha256).toHaveLength(64);
  });

  it('lists nothing for a missing folder', async () => {
    expect(await listLoras(join(scratchDir('lora-empty-'), 'no-such-folder'))).toEqual([]);
  });

  it('resolves names, never paths', async () => {
    const dir = library();
    expect(await resolveLora(dir, 'ink')).toBe(join(dir, 'ink.safetensors'));
    expect(await resolveLora(dir, 'ink.safetensors')).toBe(join(dir, 'ink.safetensors'));
    for (const bad of ['../ink', 'sub/nested', 'sub\\nested', '/etc/passwd', '..', '']) {
      const error = await resolveLora(dir, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoraError);
      expect((error as LoraError).code).toBe('BAD_USER_INPUT');
    }
    const missing = (await resolveLora(dir, 'ghost').catch((e: unknown) => e)) as LoraError;
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('ghost');
  });
});
