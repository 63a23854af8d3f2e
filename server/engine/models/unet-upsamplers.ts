import { readFileSync, statSync } from 'node:fs';
import { onnx } from '../lora/onnx-model.ts';

/** SD1.5's UNet halves the latent three times (four block levels): sizes must divide by 2³. */
export const SD15_LATENT_MULTIPLE = 8;

/** Graph files above this hold their weights inline; decoding one only to count nodes is not worth it. */
const MAX_GRAPH_BYTES = 256 * 2 ** 20;

/**
 * What the latent height and width must divide by for this UNet: 2 to the number of upsampling (Resize) nodes.
 * A torch.onnx.export of diffusers' Upsample2D becomes Resize with scales 2, so at other sizes the up path comes out
 * one row short of its skip connection and the Concat fails (diffusers in PyTorch passes the skip's size instead).
 */
export function unetLatentMultiple(file: string): number {
  try {
    if (statSync(file).size > MAX_GRAPH_BYTES) return SD15_LATENT_MULTIPLE;
    const graph = onnx.ModelProto.decode(readFileSync(file)).graph;
    const upsamplers = (graph?.node ?? []).filter((node) => node.opType === 'Resize' || node.opType === 'Upsample').length;
    return 2 ** upsamplers;
  } catch {
    return SD15_LATENT_MULTIPLE;
  }
}
