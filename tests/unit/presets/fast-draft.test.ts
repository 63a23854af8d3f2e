import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../server/config/schema.ts';
import { fullArchitecture } from '../../../server/engine/forge/presets.ts';
import { forgeLcmLora, kohyaUnetKey, lcmLoraBytes, lcmLoraTargets } from '../../../server/engine/forge/lcm-lora.ts';
import { mergeLoras } from '../../../server/engine/lora/index.ts';
import { applyPreset, lcmLoraMissingMessage } from '../../../server/presets/index.ts';
import { chooseDecoder } from '../../../server/queue/engine-runner.ts';
import { scratchDir, tinyModel } from '../lora/tiny-model.ts';

const fastDraft = configSchema.parse({}).generation.fast_draft;
const request = { prompt: 'a card', seed: '5', width: 512, height: 720, steps: 25, guidanceScale: 8, scheduler: 'dpmpp_2m', loras: [{ name: 'ink', weight: 0.4 }], decoder: 'full' as const };

function header(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] } | Record<string, string>> {
  const length = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'));
}

describe('fast draft preset resolution', () => {
  it('defaults to the LCM scheduler, 4 steps, guidance 1, the LCM-LoRA at weight 1 and the tiny decoder', () => {
    expect(fastDraft).toEqual({ lora: 'lcm-lora-sdv1-5', lora_weight: 1, steps: 4, guidance_scale: 1, scheduler: 'lcm', decoder: 'tiny' });
  });

  it('sets steps, guidance, scheduler and adds the LoRA; prompt, seed, size and other LoRAs are kept', () => {
    const drafted = applyPreset('fast_draft', request, fastDraft);
    expect(drafted).toEqual({ ...request, steps: 4, guidanceScale: 1, scheduler: 'lcm', loras: [{ name: 'ink', weight: 0.4 }, { name: 'lcm-lora-sdv1-5', weight: 1 }], decoder: 'tiny' });
  });

  it('an explicit decoder wins; the LCM-LoRA listed by hand is not doubled; standard changes nothing', () => {
    const drafted = applyPreset('fast_draft', { ...request, loras: [{ name: 'lcm-lora-sdv1-5', weight: 0.3 }] }, fastDraft, 'full');
    expect(drafted.loras).toEqual([{ name: 'lcm-lora-sdv1-5', weight: 1 }]);
    expect(drafted.decoder).toBe('full');
    expect(applyPreset('standard', request, fastDraft)).toBe(request);
  });

  it('guidance is configurable in 1 … 2 only', () => {
    expect(configSchema.parse({ generation: { fast_draft: { guidance_scale: 1.5 } } }).generation.fast_draft.guidance_scale).toBe(1.5);
    expect(configSchema.safeParse({ generation: { fast_draft: { guidance_scale: 3 } } }).success).toBe(false);
    expect(configSchema.safeParse({ generation: { fast_draft: { lora: '../x' } } }).success).toBe(false);
  });

  it('the missing-file message names the file and where to get it, without paths', () => {
    const message = lcmLoraMissingMessage('lcm-lora-sdv1-5');
    expect(message).toContain('lcm-lora-sdv1-5.safetensors');
    expect(message).toContain('pytorch_lora_weights.safetensors');
    expect(message).toContain('https://huggingface.co/latent-consistency/lcm-lora-sdv1-5');
    expect(message).toContain('nothing was queued');
  });

  it('tiny falls back to full with a note when the engine has no tiny decoder', () => {
    expect(chooseDecoder('tiny', ['full', 'tiny'])).toEqual({ name: 'tiny' });
    expect(chooseDecoder('full', undefined)).toEqual({ name: 'full' });
    const fallback = chooseDecoder('tiny', ['full']);
    expect(fallback.name).toBe('full');
    expect(fallback.note).toMatch(/no tiny decoder/);
  });
});

describe('forged LCM-LoRA', () => {
  it('has the layout of lcm-lora-sdv1-5 at full size: 278 UNet modules, 834 fp16 tensors, rank 64, alpha 8, ~135 MB', () => {
    const { bytes, modules, tensors, parameters } = lcmLoraBytes({ architecture: 'full' });
    expect([modules, tensors, parameters]).toEqual([278, 834, 67_252_502]);
    expect(bytes.byteLength / 1e6).toBeCloseTo(134.6, 0);
    const h = header(bytes);
    const keys = Object.keys(h).filter((k) => k !== '__metadata__');
    expect(keys.every((k) => k.startsWith('lora_unet_'))).toBe(true);
    expect(h['lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight']).toMatchObject({ dtype: 'F16', shape: [64, 320, 1, 1] });
    expect(h['lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight']).toMatchObject({ shape: [64, 768] });
    expect(h['lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj.lora_up.weight']).toMatchObject({ shape: [10240, 64] });
    expect(h['lora_unet_up_blocks_3_resnets_0_conv_shortcut.lora_down.weight']).toMatchObject({ shape: [64, 960, 1, 1] });
    expect(h['lora_unet_up_blocks_2_upsamplers_0_conv.alpha']).toMatchObject({ dtype: 'F16', shape: [] });
    // Not covered by the real file: conv_in, conv_out, time_embedding, the text encoder.
    expect(keys.some((k) => /conv_in|conv_out|time_embedding|lora_te/.test(k))).toBe(false);
    // diffusers' train_lcm_distill_lora_sd_wds.py target modules, each matched by at least one path and every path by one.
    const suffixes = ['to_q', 'to_k', 'to_v', 'to_out.0', 'proj_in', 'proj_out', 'ff.net.0.proj', 'ff.net.2', 'conv1', 'conv2', 'conv_shortcut', 'downsamplers.0.conv', 'upsamplers.0.conv', 'time_emb_proj'];
    const paths = lcmLoraTargets(fullArchitecture.unet).map((t) => t.path);
    for (const suffix of suffixes) expect(paths.some((p) => p.endsWith(`.${suffix}`)), suffix).toBe(true);
    expect(paths.filter((p) => !suffixes.some((suffix) => p.endsWith(`.${suffix}`)))).toEqual([]);
  });

  it('every key of a tiny forged LCM-LoRA is matched by the loader on a tiny forged model (strict)', async () => {
    const modelDir = await tinyModel();
    const file = join(scratchDir('lcm-lora-'), 'lcm-lora-sdv1-5.safetensors');
    const report = forgeLcmLora(file, { architecture: 'tiny', seed: 3 });
    expect(readFileSync(file).byteLength).toBe(report.bytes);
    const merged = await mergeLoras(join(modelDir, 'unet', 'model.onnx'), 'unet', [{ name: 'lcm-lora-sdv1-5', file, weight: 1 }], { strict: true });
    const [unet] = merged.reports;
    expect(unet.matched).toBe(report.modules);
    expect(unet.total).toBe(report.modules);
    expect(unet.unmatchedKeys).toEqual([]);
    const text = await mergeLoras(join(modelDir, 'text_encoder', 'model.onnx'), 'text_encoder', [{ name: 'lcm-lora-sdv1-5', file, weight: 1 }], { strict: true });
    expect(text.reports[0].matched).toBe(0);
    expect(kohyaUnetKey('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0')).toBe('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0');
  });
});
