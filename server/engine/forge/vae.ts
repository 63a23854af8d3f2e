/** AutoencoderKL (diffusers): the decoder (with post_quant_conv) and the encoder (with quant_conv, posterior mean). */
import type { GraphBuilder, Scope } from './graph.ts';
import { conv, groupNorm, silu } from './layers.ts';
import { downsample, resnetBlock, upsample, vaeAttention } from './blocks.ts';
import { castInput, castOutput, type IoTypes } from './io.ts';

export interface VaeConfig {
  inChannels: number;
  latentChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  normGroups: number;
}

const EPS = 1e-6;
const IMAGE_DIMS = ['batch', 'channels', 'height', 'width'];

function midBlock(s: Scope, x: string, channels: number, groups: number): string {
  let h = resnetBlock(s.child('resnets.0'), x, channels, channels, { groups, eps: EPS });
  h = vaeAttention(s.child('attentions.0'), h, channels, groups);
  return resnetBlock(s.child('resnets.1'), h, channels, channels, { groups, eps: EPS });
}

export function buildVaeDecoder(g: GraphBuilder, c: VaeConfig, io: IoTypes): void {
  const root = g.root();
  const latent = castInput(g, root, 'latent_sample', io.float, IMAGE_DIMS);
  const z = conv(g.root('post_quant_conv'), latent, c.latentChannels, c.latentChannels, { kernel: 1 });
  const decoder = g.root('decoder');
  const reversed = [...c.blockOutChannels].reverse();
  let h = conv(decoder.child('conv_in'), z, c.latentChannels, reversed[0]);
  h = midBlock(decoder.child('mid_block'), h, reversed[0], c.normGroups);
  let channels = reversed[0];
  reversed.forEach((out, i) => {
    const block = decoder.child(`up_blocks.${i}`);
    for (let j = 0; j <= c.layersPerBlock; j++) {
      h = resnetBlock(block.child(`resnets.${j}`), h, channels, out, { groups: c.normGroups, eps: EPS });
      channels = out;
    }
    if (i < reversed.length - 1) h = upsample(block, h, out);
  });
  const normed = groupNorm(decoder.child('conv_norm_out'), h, channels, c.normGroups, EPS);
  // A smaller gain keeps most of a random model's picture inside [-1, 1] instead of clipped.
  const image = conv(decoder.child('conv_out'), silu(decoder.child('conv_act'), normed), channels, c.inChannels, { gain: 0.4 });
  castOutput(g, root, image, 'sample', io.float, IMAGE_DIMS);
}

export function buildVaeEncoder(g: GraphBuilder, c: VaeConfig, io: IoTypes): void {
  const root = g.root();
  const image = castInput(g, root, 'sample', io.float, IMAGE_DIMS);
  const encoder = g.root('encoder');
  let h = conv(encoder.child('conv_in'), image, c.inChannels, c.blockOutChannels[0]);
  let channels = c.blockOutChannels[0];
  c.blockOutChannels.forEach((out, i) => {
    const block = encoder.child(`down_blocks.${i}`);
    for (let j = 0; j < c.layersPerBlock; j++) {
      h = resnetBlock(block.child(`resnets.${j}`), h, channels, out, { groups: c.normGroups, eps: EPS });
      channels = out;
    }
    if (i < c.blockOutChannels.length - 1) h = downsample(block, h, out, true);
  });
  h = midBlock(encoder.child('mid_block'), h, channels, c.normGroups);
  const normed = groupNorm(encoder.child('conv_norm_out'), h, channels, c.normGroups, EPS);
  const moments = conv(encoder.child('conv_out'), silu(encoder.child('conv_act'), normed), channels, 2 * c.latentChannels);
  const quantized = conv(g.root('quant_conv'), moments, 2 * c.latentChannels, 2 * c.latentChannels, { kernel: 1 });
  // The posterior mean: the first latentChannels channels of the moments.
  const mean = root.op('Slice', [quantized, g.int64s([0]), g.int64s([c.latentChannels]), g.int64s([1])]);
  castOutput(g, root, mean, 'latent_sample', io.float, IMAGE_DIMS);
}
