import { describe, expect, it } from 'vitest';
import { planProviders } from '../../../server/engine/models/providers.ts';

const cpuOnly = [{ name: 'cpu' }, { name: 'webgpu' }];
const withCuda = [...cpuOnly, { name: 'cuda' }];

describe('execution provider plan', () => {
  it('auto on Linux without CUDA: CPU, and says why CUDA, DirectML and CoreML are not used', () => {
    const plan = planProviders('auto', cpuOnly, 'linux');
    expect(plan.candidates).toEqual(['cpu']);
    expect(plan.skipped.map((s) => s.provider).sort()).toEqual(['coreml', 'cuda', 'dml']);
    expect(plan.skipped.find((s) => s.provider === 'cuda')?.reason).toMatch(/not installed/);
  });

  it('auto tries CUDA first, then the platform accelerator, then CPU', () => {
    expect(planProviders('auto', withCuda, 'linux').candidates).toEqual(['cuda', 'cpu']);
    expect(planProviders('auto', [...withCuda, { name: 'dml' }], 'win32').candidates).toEqual(['cuda', 'dml', 'cpu']);
    expect(planProviders('auto', [...cpuOnly, { name: 'coreml' }], 'darwin').candidates).toEqual(['coreml', 'cpu']);
  });

  it('an explicit device is the only candidate; an unavailable one has none and a reason', () => {
    expect(planProviders('cpu', cpuOnly, 'linux')).toEqual({ candidates: ['cpu'], skipped: [] });
    expect(planProviders('cuda', withCuda, 'linux').candidates).toEqual(['cuda']);
    const missing = planProviders('cuda', cpuOnly, 'linux');
    expect(missing.candidates).toEqual([]);
    expect(missing.skipped[0].reason).toMatch(/cannot use 'cuda'/);
  });
});
