import { describe, expect, it } from 'vitest';
import { LoraError } from '../../../server/engine/lora/errors.ts';
import { groupLayers } from '../../../server/engine/lora/formats.ts';
import type { TensorInfo } from '../../../server/engine/lora/safetensors.ts';

function tensors(entries: Record<string, number[]>): Map<string, TensorInfo> {
  return new Map(Object.entries(entries).map(([name, shape]) => [name, { name, dtype: 'F32', shape, begin: 0, end: 0 }]));
}

describe('grouping LoRA keys into layers', () => {
  it('recognizes kohya, PEFT, diffusers lora/lora_linear_layer and attention-processor names', () => {
    const layout = groupLayers(
      'x.safetensors',
      tensors({
        'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': [4, 64, 1, 1],
        'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': [64, 4, 1, 1],
        'lora_unet_mid_block_attentions_0_proj_in.alpha': [],
        'unet.up_blocks.1.attentions.0.proj_out.lora_A.weight': [2, 32],
        'unet.up_blocks.1.attentions.0.proj_out.lora_B.weight': [32, 2],
        'text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight': [2, 32],
        'text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.up.weight': [64, 2],
        'unet.conv_in.lora.down.weight': [2, 4, 3, 3],
        'unet.conv_in.lora.up.weight': [32, 2, 1, 1],
        'down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight': [2, 32],
        'down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight': [32, 2],
        'some_other_thing.weight': [3],
      }),
    );
    const byKey = new Map(layout.layers.map((l) => [l.key, l]));
    expect(byKey.get('lora_unet_mid_block_attentions_0_proj_in')).toMatchObject({ owner: 'unet', naming: 'underscored', name: 'mid_block_attentions_0_proj_in', rank: 4, alphaKey: 'lora_unet_mid_block_attentions_0_proj_in.alpha' });
    expect(byKey.get('unet.up_blocks.1.attentions.0.proj_out')).toMatchObject({ owner: 'unet', name: 'up_blocks.1.attentions.0.proj_out', rank: 2 });
    expect(byKey.get('text_encoder.text_model.encoder.layers.0.mlp.fc1')).toMatchObject({ owner: 'text_encoder', name: 'text_model.encoder.layers.0.mlp.fc1' });
    expect(byKey.get('unet.conv_in')).toMatchObject({ owner: 'unet', name: 'conv_in', downShape: [2, 4, 3, 3] });
    expect(byKey.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out')).toMatchObject({
      owner: 'unet',
      name: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0',
    });
    expect(layout.layers).toHaveLength(5);
    expect(layout.unrecognized).toEqual(['some_other_thing.weight']);
  });

  it('refuses half a layer and matrices that do not multiply', () => {
    const half = () => groupLayers('h.safetensors', tensors({ 'lora_unet_conv_in.lora_down.weight': [2, 4] }));
    expect(half).toThrow(LoraError);
    expect(half).toThrow(/h\.safetensors: layer lora_unet_conv_in has a down matrix but no up matrix/);
    const skew = () => groupLayers('s.safetensors', tensors({ 'a.lora_A.weight': [2, 4], 'a.lora_B.weight': [4, 3] }));
    expect(skew).toThrow(/do not multiply/);
  });
});
