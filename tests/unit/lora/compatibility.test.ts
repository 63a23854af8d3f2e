import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoraError } from '../../../server/engine/lora/errors.ts';
import { mergeLoras } from '../../../server/engine/lora/merge.ts';
import { randomLora, safetensorsBytes, sd2ShapedLora, sdxlShapedLora, writeSafetensors, type TargetLayer } from '../../helpers/lora-writer.ts';
import { targetLayers, tinyModel, scratchDir } from './tiny-model.ts';

const dir = scratchDir('lora-compat-');
let unet: string;
let layers: TargetLayer[];

beforeAll(async () => {
  unet = join(await tinyModel(), 'unet/model.onnx');
  layers = targetLayers(unet, 'unet');
});

async function mergeError(file: string, name = 'x'): Promise<LoraError> {
  const error = await mergeLoras(unet, 'unet', [{ name, file, weight: 1 }], { strict: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoraError);
  return error as LoraError;
}

describe('compatibility checks before merging', () => {
  it('an SDXL-shaped LoRA is refused with the reason in words', async () => {
    const { tensors, metadata } = sdxlShapedLora(1);
    const error = await mergeError(writeSafetensors(join(dir, 'xl.safetensors'), tensors, metadata), 'xl');
    expect(error.code).toBe('LORA_INCOMPATIBLE');
    expect(error.message).toBe('LoRA xl: cross-attention input is 2048: this is an SDXL LoRA; the model is SD1.5');
  });

  it('SDXL evidence without cross-attention layers: lora_te1_/lora_te2_ keys, then metadata', async () => {
    const te2 = randomLora([{ component: 'text_encoder', path: 'text_model.encoder.layers.0.mlp.fc1', outFeatures: 64, inFeatures: 32 }], {
      format: 'kohya',
      rank: 2,
      seed: 2,
      kohyaName: () => 'lora_te2_text_model_encoder_layers_0_mlp_fc1',
    });
    const byKeys = await mergeError(writeSafetensors(join(dir, 'te2.safetensors'), te2.tensors));
    expect(byKeys.code).toBe('LORA_INCOMPATIBLE');
    expect(byKeys.message).toMatch(/two text encoders \(lora_te2_text_model_encoder_layers_0_mlp_fc1\): this is an SDXL LoRA; the model is SD1.5/);

    const plain = randomLora(layers.slice(0, 2), { format: 'kohya', rank: 2, seed: 3 });
    const byMeta = await mergeError(writeSafetensors(join(dir, 'meta.safetensors'), plain.tensors, { 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' }));
    expect(byMeta.message).toMatch(/modelspec\.architecture is stable-diffusion-xl-v1-base\/lora: this is an SDXL LoRA/);
    const byVersion = await mergeError(writeSafetensors(join(dir, 'ver.safetensors'), plain.tensors, { ss_base_model_version: 'sdxl_base_v1-0' }));
    expect(byVersion.message).toMatch(/ss_base_model_version is sdxl_base_v1-0: this is an SDXL LoRA/);
  });

  it('an SD2-shaped LoRA is refused: cross-attention 1024, or ss_v2 = True', async () => {
    const { tensors, metadata } = sd2ShapedLora(4);
    const error = await mergeError(writeSafetensors(join(dir, 'sd2.safetensors'), tensors, metadata), 'two');
    expect(error.code).toBe('LORA_INCOMPATIBLE');
    expect(error.message).toBe('LoRA two: cross-attention input is 1024: this is an SD2 LoRA; the model is SD1.5');
    const plain = randomLora(layers.slice(0, 2), { format: 'kohya', rank: 2, seed: 5 });
    const byFlag = await mergeError(writeSafetensors(join(dir, 'v2.safetensors'), plain.tensors, { ss_v2: 'True' }));
    expect(byFlag.message).toMatch(/ss_v2 is True: this is an SD2 LoRA; the model is SD1.5/);
  });

  it('SD1.5 metadata (ss_v2 False, sd_v1) is accepted', async () => {
    const plain = randomLora(layers.slice(0, 2), { format: 'kohya', rank: 2, seed: 6 });
    const file = writeSafetensors(join(dir, 'v1.safetensors'), plain.tensors, { ss_v2: 'False', ss_base_model_version: 'sd_v1' });
    const merged = await mergeLoras(unet, 'unet', [{ name: 'v1', file, weight: 1 }], { strict: true });
    expect(merged.reports[0].matched).toBe(2);
  });

  it('LoHa, LoKr, DoRA and IA3 are refused by name; a broken file is LORA_INVALID naming the file', async () => {
    const cases: [string, string][] = [
      ['lora_unet_conv_in.hada_w1_a', 'LoHa LoRAs are not supported yet'],
      ['lora_unet_conv_in.lokr_w1', 'LoKr LoRAs are not supported yet'],
      ['lora_unet_conv_in.dora_scale', 'DoRA LoRAs are not supported yet'],
      ['lora_unet_conv_in.on_input', 'IA3 LoRAs are not supported yet'],
    ];
    for (const [key, words] of cases) {
      const error = await mergeError(writeSafetensors(join(dir, 'odd.safetensors'), { [key]: { shape: [2], data: new Float32Array(2) } }));
      expect(error.code).toBe('LORA_UNSUPPORTED');
      expect(error.message).toContain(words);
    }
    const bytes = safetensorsBytes(randomLora(layers.slice(0, 2), { format: 'kohya', rank: 2, seed: 7 }).tensors);
    writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 4));
    const cut = await mergeError(join(dir, 'cut.safetensors'));
    expect(cut.code).toBe('LORA_INVALID');
    expect(cut.message).toContain('cut.safetensors');
  });
});
