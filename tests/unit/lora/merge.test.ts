import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoraError } from '../../../server/engine/lora/errors.ts';
import { mergeLoras } from '../../../server/engine/lora/merge.ts';
import { randomLora, writeSafetensors, type GeneratedLora, type RandomLoraOptions, type TargetLayer } from '../../helpers/lora-writer.ts';
import { layerWeights, maxAbsDiff, referenceMerge, runComponent, runSession, targetLayers, tinyModel, type ReferenceUpdate, scratchDir } from './tiny-model.ts';

const loraDir = scratchDir('lora-files-');
let counter = 0;

function writeLora(layers: TargetLayer[], options: RandomLoraOptions): GeneratedLora & { file: string } {
  const lora = randomLora(layers, options);
  const file = writeSafetensors(join(loraDir, `lora-${counter++}.safetensors`), lora.tensors);
  return { ...lora, file };
}

function updates(lora: GeneratedLora, weight: number): ReferenceUpdate[] {
  return lora.layers.map((generated) => ({ generated, scale: (weight * (generated.alpha ?? generated.rank)) / generated.rank }));
}

async function mergeError(promise: Promise<unknown>): Promise<LoraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoraError);
  return error as LoraError;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('mergeLoras on the tiny fp32 model', () => {
  let dir: string;
  let unet: string;
  let textEncoder: string;
  let unetLayers: TargetLayer[];
  let baseUnet: Float32Array;

  beforeAll(async () => {
    dir = await tinyModel();
    unet = join(dir, 'unet/model.onnx');
    textEncoder = join(dir, 'text_encoder/model.onnx');
    unetLayers = targetLayers(unet, 'unet');
    baseUnet = await runComponent(unet, 'unet');
  });

  it('kohya LoRA on every UNet layer (MatMul, Gemm, 1×1 and 3×3 LoCon convs) equals the independently patched model', async () => {
    expect(unetLayers.some((l) => l.kernel?.[0] === 3)).toBe(true);
    expect(unetLayers.some((l) => !l.kernel && /time_emb_proj/.test(l.path))).toBe(true);
    const lora = writeLora(unetLayers, { format: 'kohya', rank: 4, alpha: 2, seed: 1 });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'k', file: lora.file, weight: 0.8 }], { strict: true });
    expect(merged.reports).toEqual([{ name: 'k', weight: 0.8, matched: unetLayers.length, total: unetLayers.length, unmatchedKeys: [], warnings: [] }]);
    const got = await runComponent(merged, 'unet');
    const want = await runComponent(referenceMerge(unet, updates(lora, 0.8)), 'unet');
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, baseUnet)).toBeGreaterThan(1e-2);
  });

  it('PEFT LoRA on the text encoder equals the independently patched model', async () => {
    const layers = targetLayers(textEncoder, 'text_encoder');
    const lora = writeLora(layers, { format: 'peft', rank: 8, seed: 2 });
    const merged = await mergeLoras(textEncoder, 'text_encoder', [{ name: 'p', file: lora.file, weight: 1.2 }], { strict: true });
    expect(merged.reports[0]).toMatchObject({ matched: layers.length, total: layers.length });
    const got = await runComponent(merged, 'text_encoder');
    const want = await runComponent(referenceMerge(textEncoder, updates(lora, 1.2)), 'text_encoder');
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, await runComponent(textEncoder, 'text_encoder'))).toBeGreaterThan(1e-2);
  });

  it('the old attention-processor format patches to_q/to_k/to_v/to_out.0', async () => {
    const layers = unetLayers.filter((l) => /\.(to_q|to_k|to_v|to_out\.0)$/.test(l.path));
    const lora = writeLora(layers, { format: 'attn-processor', rank: 4, seed: 3 });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'a', file: lora.file, weight: 1 }], { strict: true });
    expect(merged.reports[0].matched).toBe(layers.length);
    const got = await runComponent(merged, 'unet');
    expect(maxAbsDiff(got, await runComponent(referenceMerge(unet, updates(lora, 1)), 'unet'))).toBeLessThan(1e-5);
  });

  it('kohya keys in the original SD (LDM) naming map to the same layers', async () => {
    // Tiny UNet: one resnet per block, so each down block has 2 input_blocks; up block 0 has no attention.
    const ldm: Record<string, string> = {
      'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q': 'input_blocks_1_1_transformer_blocks_0_attn1_to_q',
      'down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj': 'input_blocks_1_1_transformer_blocks_0_ff_net_0_proj',
      'down_blocks.0.resnets.0.conv1': 'input_blocks_1_0_in_layers_2',
      'down_blocks.0.downsamplers.0.conv': 'input_blocks_2_0_op',
      'down_blocks.1.resnets.0.time_emb_proj': 'input_blocks_3_0_emb_layers_1',
      'mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0': 'middle_block_1_transformer_blocks_0_attn2_to_out_0',
      'mid_block.resnets.1.conv2': 'middle_block_2_out_layers_3',
      'up_blocks.0.upsamplers.0.conv': 'output_blocks_1_1_conv',
      'up_blocks.1.resnets.1.conv_shortcut': 'output_blocks_3_0_skip_connection',
      'up_blocks.1.attentions.1.proj_out': 'output_blocks_3_1_proj_out',
      conv_in: 'input_blocks_0_0',
      'time_embedding.linear_1': 'time_embed_0',
    };
    const layers = unetLayers.filter((l) => l.path in ldm);
    expect(layers).toHaveLength(Object.keys(ldm).length);
    const lora = writeLora(layers, { format: 'kohya', rank: 2, alpha: 1, seed: 4, kohyaName: (l) => `lora_unet_${ldm[l.path]}` });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'ldm', file: lora.file, weight: 1 }], { strict: true });
    expect(merged.reports[0].matched).toBe(layers.length);
    const got = await runComponent(merged, 'unet');
    expect(maxAbsDiff(got, await runComponent(referenceMerge(unet, updates(lora, 1)), 'unet'))).toBeLessThan(1e-5);
  });

  it('weights add up: 0.6 + 0.3 of one LoRA equals 0.9, two LoRAs merge additively, weight 0 equals the base', async () => {
    const a = writeLora(unetLayers, { format: 'kohya', rank: 4, alpha: 4, seed: 5 });
    const b = writeLora(unetLayers.filter((l) => !l.kernel), { format: 'peft', rank: 3, seed: 6 });
    const split = await mergeLoras(unet, 'unet', [{ name: 'a', file: a.file, weight: 0.6 }, { name: 'a', file: a.file, weight: 0.3 }], { strict: true });
    const whole = await mergeLoras(unet, 'unet', [{ name: 'a', file: a.file, weight: 0.9 }], { strict: true });
    expect(maxAbsDiff(await runComponent(split, 'unet'), await runComponent(whole, 'unet'))).toBeLessThan(1e-5);

    const both = await mergeLoras(unet, 'unet', [{ name: 'a', file: a.file, weight: 0.5 }, { name: 'b', file: b.file, weight: -0.7 }], { strict: true });
    const want = await runComponent(referenceMerge(unet, [...updates(a, 0.5), ...updates(b, -0.7)]), 'unet');
    expect(maxAbsDiff(await runComponent(both, 'unet'), want)).toBeLessThan(1e-5);

    const zero = await mergeLoras(unet, 'unet', [{ name: 'a', file: a.file, weight: 0 }], { strict: true });
    expect(zero.reports[0].matched).toBe(unetLayers.length);
    expect(Array.from(await runComponent(zero, 'unet'))).toEqual(Array.from(baseUnet));
  });

  it('leaves the base model file and a base session unchanged', async () => {
    const before = sha(unet);
    const baseSession = await ort.InferenceSession.create(unet);
    expect(Array.from(await runSession(baseSession, 'unet'))).toEqual(Array.from(baseUnet));
    const lora = writeLora(unetLayers, { format: 'kohya', rank: 4, alpha: 4, seed: 7 });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'k', file: lora.file, weight: 1 }], { strict: true });
    const mergedSession = await ort.InferenceSession.create(merged.modelBytes, { externalData: merged.externalData });
    expect(maxAbsDiff(await runSession(mergedSession, 'unet'), baseUnet)).toBeGreaterThan(1e-2);
    expect(sha(unet)).toBe(before);
    expect(Array.from(await runSession(baseSession, 'unet'))).toEqual(Array.from(baseUnet));
    expect(Array.from(await runComponent(unet, 'unet'))).toEqual(Array.from(baseUnet));
    await Promise.all([baseSession.release(), mergedSession.release()]);
  });

  it('counts only this component: text encoder keys are not unmatched UNet keys', async () => {
    const te = targetLayers(textEncoder, 'text_encoder');
    const lora = writeLora([...unetLayers.slice(0, 5), ...te], { format: 'kohya', rank: 2, alpha: 2, seed: 8 });
    const forUnet = await mergeLoras(unet, 'unet', [{ name: 'mix', file: lora.file, weight: 1 }], { strict: true });
    expect(forUnet.reports[0]).toMatchObject({ matched: 5, total: 5 });
    const forTe = await mergeLoras(textEncoder, 'text_encoder', [{ name: 'mix', file: lora.file, weight: 1 }], { strict: true });
    expect(forTe.reports[0]).toMatchObject({ matched: te.length, total: te.length });
  });

  it('reports unmatched keys: 1 of 100 matching → a warning listing 10 others; strict → LORA_UNMATCHED', async () => {
    const bogus: TargetLayer[] = Array.from({ length: 99 }, (_, i) => ({ component: 'unet', path: `down_blocks.9.attentions.${i}.proj_in`, outFeatures: 4, inFeatures: 4 }));
    const lora = writeLora([unetLayers[0], ...bogus], { format: 'kohya', rank: 2, alpha: 2, seed: 9 });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'mostly-wrong', file: lora.file, weight: 1 }], { strict: false });
    const report = merged.reports[0];
    expect(report).toMatchObject({ matched: 1, total: 100 });
    expect(report.unmatchedKeys).toHaveLength(10);
    expect(report.unmatchedKeys[0]).toBe('lora_unet_down_blocks_9_attentions_0_proj_in');
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain('99 of 100 unet keys match no layer');
    for (const key of report.unmatchedKeys) expect(report.warnings[0]).toContain(key);
    expect(report.warnings[0]).toContain('and 89 more');

    const error = await mergeError(mergeLoras(unet, 'unet', [{ name: 'mostly-wrong', file: lora.file, weight: 1 }], { strict: true }));
    expect(error.code).toBe('LORA_UNMATCHED');
    expect(error.message).toContain('mostly-wrong');
  });

  it('refuses a LoRA whose layer shapes differ from the model, naming the layer and both shapes', async () => {
    const layer = unetLayers.find((l) => l.path.endsWith('attn1.to_q'))!;
    const lora = writeLora([{ ...layer, inFeatures: layer.inFeatures * 2 }], { format: 'kohya', rank: 2, alpha: 2, seed: 10 });
    const error = await mergeError(mergeLoras(unet, 'unet', [{ name: 'wide', file: lora.file, weight: 1 }], { strict: false }));
    expect(error.code).toBe('LORA_INCOMPATIBLE');
    expect(error.message).toContain(layer.path);
    expect(error.message).toContain(`[${layer.outFeatures}, ${layer.inFeatures * 2}]`);
    expect(error.message).toContain(`[${layer.outFeatures}, ${layer.inFeatures}]`);
  });

  it('checks every LoRA before merging any: a bad second LoRA fails the whole merge', async () => {
    const good = writeLora(unetLayers, { format: 'kohya', rank: 2, alpha: 2, seed: 11 });
    const loha = writeLora(unetLayers.slice(0, 3), { format: 'loha', rank: 2, seed: 12 });
    const error = await mergeError(
      mergeLoras(unet, 'unet', [{ name: 'good', file: good.file, weight: 1 }, { name: 'loha', file: loha.file, weight: 1 }], { strict: false }),
    );
    expect(error.code).toBe('LORA_UNSUPPORTED');
    expect(error.message).toContain('LoHa LoRAs are not supported yet');
  });
});

// The fp16 model's outputs are fp16 themselves (one ulp is 2^-10 of the value), so equal merges
// may still differ by an output rounding step: there the bound is relative to the largest output.
describe.each([
  ['fp16 with weights.pb', { dtype: 'float16' as const, externalData: true }, 2e-3],
  ['optimum layout (model.onnx_data)', { layout: 'optimum' as const, dtype: 'float32' as const }, 1e-5],
])('mergeLoras on the tiny %s model', (_label, variant, tolerance) => {
  it('equals the independently patched model, UNet and text encoder', async () => {
    const dir = await tinyModel(variant);
    for (const component of ['unet', 'text_encoder'] as const) {
      const path = join(dir, component, 'model.onnx');
      const before = sha(path);
      const layers = targetLayers(path, component);
      const lora = writeLora(layers, { format: 'kohya', rank: 4, alpha: 8, seed: 13, dtype: 'F16' });
      const merged = await mergeLoras(path, component, [{ name: 'k', file: lora.file, weight: 0.7 }], { strict: true });
      expect(merged.externalData?.map((e) => e.path)).toContain('layout' in variant ? 'model.onnx_data' : 'weights.pb');
      const got = await runComponent(merged, component);
      const base = await runComponent(path, component);
      const want = await runComponent(referenceMerge(path, updates(lora, 0.7)), component);
      const scale = variant.dtype === 'float16' ? Math.max(...want.map(Math.abs)) : 1;
      expect(maxAbsDiff(got, want) / scale).toBeLessThan(tolerance);
      expect(maxAbsDiff(got, base) / scale).toBeGreaterThan(20 * tolerance);
      expect(sha(path)).toBe(before);
    }
  });
});

describe('mergeLoras on the tiny fp16 model, weight by weight', () => {
  it('patched fp16 weights equal the reference, but for rare one-step roundings (float32 working copy)', async () => {
    const dir = await tinyModel({ dtype: 'float16', externalData: true });
    const path = join(dir, 'unet/model.onnx');
    const lora = writeLora(targetLayers(path, 'unet'), { format: 'kohya', rank: 4, alpha: 8, seed: 14 });
    const merged = await mergeLoras(path, 'unet', [{ name: 'k', file: lora.file, weight: 0.7 }], { strict: true });
    const out = scratchDir('lora-merged-');
    writeFileSync(join(out, 'model.onnx'), merged.modelBytes);
    for (const { path: name, data } of merged.externalData ?? []) writeFileSync(join(out, name), data);
    const got = layerWeights(join(out, 'model.onnx'));
    const want = layerWeights(referenceMerge(path, updates(lora, 0.7)));
    let total = 0;
    let differing = 0;
    for (const [layer, values] of want) {
      const mine = got.get(layer)!;
      for (let i = 0; i < values.length; i++) {
        total += 1;
        if (mine[i] === values[i]) continue;
        differing += 1;
        expect(Math.abs(mine[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -10);
      }
    }
    expect(total).toBeGreaterThan(100_000);
    expect(differing / total).toBeLessThan(1e-3);
  });
});
