/** Architecture sizes per preset. `full` follows the SD1.5 configs in ../reference-sd15/. */
import type { TextEncoderConfig } from './text-encoder.ts';
import type { UNetConfig } from './unet.ts';
import type { VaeConfig } from './vae.ts';

export interface Architecture {
  textEncoder: TextEncoderConfig;
  unet: UNetConfig;
  vae: VaeConfig;
}

const VOCAB_SIZE = 49408;

export const fullArchitecture: Architecture = {
  textEncoder: { vocabSize: VOCAB_SIZE, hidden: 768, layers: 12, heads: 12, intermediate: 3072 },
  unet: {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [320, 640, 1280, 1280],
    downBlockTypes: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    upBlockTypes: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
    layersPerBlock: 2,
    crossAttentionDim: 768,
    // attention_head_dim 8 in the SD1.5 config is, in fact, the number of heads.
    heads: 8,
    normGroups: 32,
  },
  vae: { inChannels: 3, latentChannels: 4, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, normGroups: 32 },
};

export const tinyArchitecture: Architecture = {
  textEncoder: { vocabSize: VOCAB_SIZE, hidden: 32, layers: 2, heads: 2, intermediate: 64 },
  unet: {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [32, 64],
    downBlockTypes: ['CrossAttnDownBlock2D', 'DownBlock2D'],
    upBlockTypes: ['UpBlock2D', 'CrossAttnUpBlock2D'],
    layersPerBlock: 1,
    crossAttentionDim: 32,
    heads: 2,
    normGroups: 8,
  },
  // Four blocks (three upsamplers) keep the 8× latent-to-pixel factor.
  vae: { inChannels: 3, latentChannels: 4, blockOutChannels: [8, 8, 16, 16], layersPerBlock: 1, normGroups: 4 },
};
