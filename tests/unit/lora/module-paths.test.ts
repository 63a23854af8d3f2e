import { describe, expect, it } from 'vitest';
import { classifyLayerName } from '../../../server/engine/lora/formats.ts';
import { ModuleResolver } from '../../../server/engine/lora/module-paths.ts';

/** The SD1.5 UNet's LoRA-able modules (4 down blocks × 2 layers, up block 0 without attention). */
function sd15UnetModules(): string[] {
  const paths = ['conv_in', 'time_embedding.linear_1', 'time_embedding.linear_2', 'conv_out'];
  const resnet = (p: string) => ['conv1', 'conv2', 'time_emb_proj', 'conv_shortcut'].map((m) => `${p}.${m}`);
  const attention = (p: string) => [
    `${p}.proj_in`,
    `${p}.proj_out`,
    ...['attn1', 'attn2'].flatMap((a) => ['to_q', 'to_k', 'to_v', 'to_out.0'].map((m) => `${p}.transformer_blocks.0.${a}.${m}`)),
    `${p}.transformer_blocks.0.ff.net.0.proj`,
    `${p}.transformer_blocks.0.ff.net.2`,
  ];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++) {
      paths.push(...resnet(`down_blocks.${i}.resnets.${j}`));
      if (i < 3) paths.push(...attention(`down_blocks.${i}.attentions.${j}`));
    }
    if (i < 3) paths.push(`down_blocks.${i}.downsamplers.0.conv`);
    for (let j = 0; j < 3; j++) {
      paths.push(...resnet(`up_blocks.${i}.resnets.${j}`));
      if (i > 0) paths.push(...attention(`up_blocks.${i}.attentions.${j}`));
    }
    if (i < 3) paths.push(`up_blocks.${i}.upsamplers.0.conv`);
  }
  paths.push(...resnet('mid_block.resnets.0'), ...attention('mid_block.attentions.0'), ...resnet('mid_block.resnets.1'));
  return paths;
}

describe('module resolution', () => {
  const resolver = new ModuleResolver(sd15UnetModules(), 'unet');
  const resolve = (layer: string) => resolver.resolve(classifyLayerName(layer));

  it('resolves kohya underscore names against the actual modules (transformer_blocks, to_out_0, proj_in)', () => {
    expect(resolve('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q')).toBe('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q');
    expect(resolve('lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_out_0')).toBe('up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_out.0');
    expect(resolve('lora_unet_mid_block_attentions_0_proj_in')).toBe('mid_block.attentions.0.proj_in');
    expect(resolve('lora_unet_down_blocks_1_attentions_1_transformer_blocks_0_ff_net_0_proj')).toBe('down_blocks.1.attentions.1.transformer_blocks.0.ff.net.0.proj');
    expect(resolve('lora_unet_down_blocks_3_attentions_0_proj_in')).toBeUndefined();
  });

  // Pairs from the standard LDM ↔ diffusers conversion table for SD1.5.
  it.each([
    ['lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'],
    ['lora_unet_input_blocks_2_1_proj_in', 'down_blocks.0.attentions.1.proj_in'],
    ['lora_unet_input_blocks_3_0_op', 'down_blocks.0.downsamplers.0.conv'],
    ['lora_unet_input_blocks_4_0_in_layers_2', 'down_blocks.1.resnets.0.conv1'],
    ['lora_unet_input_blocks_4_0_skip_connection', 'down_blocks.1.resnets.0.conv_shortcut'],
    ['lora_unet_input_blocks_8_1_transformer_blocks_0_ff_net_2', 'down_blocks.2.attentions.1.transformer_blocks.0.ff.net.2'],
    ['lora_unet_input_blocks_11_0_out_layers_3', 'down_blocks.3.resnets.1.conv2'],
    ['lora_unet_input_blocks_0_0', 'conv_in'],
    ['lora_unet_time_embed_2', 'time_embedding.linear_2'],
    ['lora_unet_middle_block_0_emb_layers_1', 'mid_block.resnets.0.time_emb_proj'],
    ['lora_unet_middle_block_1_transformer_blocks_0_attn2_to_k', 'mid_block.attentions.0.transformer_blocks.0.attn2.to_k'],
    ['lora_unet_middle_block_2_in_layers_2', 'mid_block.resnets.1.conv1'],
    ['lora_unet_output_blocks_0_0_in_layers_2', 'up_blocks.0.resnets.0.conv1'],
    ['lora_unet_output_blocks_2_1_conv', 'up_blocks.0.upsamplers.0.conv'],
    ['lora_unet_output_blocks_3_1_transformer_blocks_0_attn1_to_v', 'up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_v'],
    ['lora_unet_output_blocks_5_2_conv', 'up_blocks.1.upsamplers.0.conv'],
    ['lora_unet_output_blocks_11_1_proj_out', 'up_blocks.3.attentions.2.proj_out'],
    ['lora_unet_out_2', 'conv_out'],
    ['input_blocks.1.1.transformer_blocks.0.attn1.to_k', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k'],
  ])('%s → %s', (key, path) => {
    expect(resolve(key)).toBe(path);
  });

  it('names of diffusers/PEFT and the text encoder', () => {
    expect(resolve('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q')).toBe('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q');
    expect(classifyLayerName('text_encoder.text_model.encoder.layers.0.self_attn.q_proj')).toEqual({
      owner: 'text_encoder',
      name: 'text_model.encoder.layers.0.self_attn.q_proj',
      naming: 'dotted',
    });
    const te = new ModuleResolver(['text_model.encoder.layers.0.self_attn.q_proj', 'text_model.encoder.layers.0.mlp.fc1'], 'text_encoder');
    expect(te.resolve(classifyLayerName('lora_te_text_model_encoder_layers_0_self_attn_q_proj'))).toBe('text_model.encoder.layers.0.self_attn.q_proj');
    expect(te.resolve(classifyLayerName('lora_te_text_model_encoder_layers_0_mlp_fc1'))).toBe('text_model.encoder.layers.0.mlp.fc1');
  });
});
