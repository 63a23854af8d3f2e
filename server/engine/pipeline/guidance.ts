import type { UnetModel } from '../models/index.ts';
import type { EncodedPrompts } from './prompt.ts';
import { concat } from './prompt.ts';

export interface LatentShape {
  height: number;
  width: number;
}

/**
 * Classifier-free guidance: the UNet on `[uncond; cond]`, then ε = εu + g · (εc − εu).
 * Without unconditional states (guidance ≤ 1) a single conditional pass.
 */
export async function predictGuidedNoise(
  unet: UnetModel,
  modelInput: Float32Array,
  timestep: number,
  text: EncodedPrompts,
  guidanceScale: number,
  shape: LatentShape,
): Promise<Float32Array> {
  const { cond, uncond } = text;
  if (!uncond) {
    return unet.predict({ sample: modelInput, batch: 1, ...shape, timestep, hiddenStates: cond.states, tokens: cond.tokens });
  }
  const both = await unet.predict({
    sample: concat([modelInput, modelInput]),
    batch: 2,
    ...shape,
    timestep,
    hiddenStates: concat([uncond.states, cond.states]),
    tokens: cond.tokens,
  });
  const n = modelInput.length;
  const guided = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = both[i];
    guided[i] = u + guidanceScale * (both[n + i] - u);
  }
  return guided;
}
