import { assertSameLength } from './checks.ts';
import { SigmaLadderScheduler } from './euler-base.ts';
import type { StepResult } from './types.ts';

/** Euler method on the probability-flow ODE in σ (diffusers EulerDiscreteScheduler, no churn). */
export class EulerScheduler extends SigmaLadderScheduler {
  readonly name = 'euler' as const;

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepResult {
    this.checkStep(stepIndex);
    assertSameLength(this.name, modelOutput, sample);
    const sigma = this.sigmas[stepIndex];
    const dt = this.sigmas[stepIndex + 1] - sigma;
    const count = sample.length;
    const predOriginalSample = new Float32Array(count);
    const prevSample = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const x0 = sample[i] - sigma * modelOutput[i];
      predOriginalSample[i] = x0;
      prevSample[i] = sample[i] + ((sample[i] - x0) / sigma) * dt;
    }
    return { prevSample, predOriginalSample };
  }
}
