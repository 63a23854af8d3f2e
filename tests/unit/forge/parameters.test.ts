import { describe, expect, it } from 'vitest';
import { countForgeParameters } from '../../../server/engine/forge/index.ts';

describe('parameter counts of the full preset (graphs only, nothing written)', () => {
  it('match the published SD1.5 module sizes', () => {
    const counts = countForgeParameters({ preset: 'full' });
    // diffusers UNet2DConditionModel (SD1.5): 859,520,964; transformers CLIPTextModel (ViT-L/14): 123,060,480.
    expect(counts.unet).toBe(859_520_964);
    expect(counts.text_encoder).toBe(123_060_480);
    // AutoencoderKL (83,653,863 in all): decoder 49,490,179 + post_quant_conv 20; encoder 34,163,592 + quant_conv 72.
    expect(counts.vae_decoder).toBe(49_490_179 + 20);
    expect(counts.vae_encoder).toBe(34_163_592 + 72);
  });

  it('do not depend on dtype or I/O options', () => {
    const base = countForgeParameters({ preset: 'tiny' });
    expect(countForgeParameters({ preset: 'tiny', dtype: 'float16', layout: 'optimum', timestep: 'int64-1', unetBatch: 1 })).toEqual(base);
    expect(base.unet).toBeLessThan(2_000_000);
    // The tiny text encoder keeps the real CLIP vocabulary.
    expect(base.text_encoder).toBeGreaterThan(49_408 * 32);
  });
});
