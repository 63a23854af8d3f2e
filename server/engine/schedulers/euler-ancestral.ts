import { assertSameLength, drawNoise } from './checks.ts';
import { SigmaLadderScheduler } from './euler-base.ts';
import type { NoiseSource, StepResult } from './types.ts';

/**
 * Euler ancestral (diffusers EulerAncestralDiscreteScheduler): an Euler step down to σ_down, then fresh noise
 * of size σ_up. Noise is drawn on every step (also the last, where σ_up = 0) so the generator advances as in diffusers.
 */
export class EulerAncestralScheduler extends SigmaLadderScheduler {
  readonly name = 'euler_a' as const;

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    this.checkStep(stepIndex);
    assertSameLength(this.name, modelOutput, sample);
    const count = sample.length;
    const fresh = drawNoise(this.name, noise, count);
    const sigmaFrom = this.sigmas[stepIndex];
    const sigmaTo = this.sigmas[stepIndex + 1];
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom));
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
    const dt = sigmaDown - sigmaFrom;
    const predOriginalSample = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const x0 = sample[i] - sigmaFrom * modelOutput[i];
      predOriginalSample[i] = x0;
      prevSample[i] = sample[i] + ((sample[i] - x0) / sigmaFrom) * dt + fresh[i] * sigmaUp;
    }
    return { prevSample, predOriginalSample };
  }
}
