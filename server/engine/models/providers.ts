import { listSupportedBackends } from 'onnxruntime-node';

export type DeviceSetting = 'auto' | 'cuda' | 'dml' | 'coreml' | 'cpu';
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface ProviderPlan {
  /** Providers to try, best first; with an explicit device, only that one. */
  candidates: ProviderName[];
  /** Why each provider not in `candidates` was left out, for the log. */
  skipped: { provider: ProviderName; reason: string }[];
}

const platformProvider: Partial<Record<NodeJS.Platform, ProviderName>> = { win32: 'dml', darwin: 'coreml' };

/** Which execution providers to try for a `hardware.device` setting, given what this onnxruntime-node build ships. */
export function planProviders(
  device: DeviceSetting,
  backends: readonly { name: string }[] = listSupportedBackends(),
  platform: NodeJS.Platform = process.platform,
): ProviderPlan {
  const available = new Set(backends.map((b) => b.name));
  if (device !== 'auto') {
    if (device !== 'cpu' && !available.has(device)) {
      return { candidates: [], skipped: [{ provider: device, reason: `this onnxruntime-node build has no '${device}' backend (it has: ${[...available].join(', ')})` }] };
    }
    return { candidates: [device], skipped: [] };
  }
  const candidates: ProviderName[] = [];
  const skipped: ProviderPlan['skipped'] = [];
  const accelerators: ProviderName[] = ['cuda', 'dml', 'coreml'];
  for (const provider of accelerators) {
    if (provider !== 'cuda' && platformProvider[platform] !== provider) {
      skipped.push({ provider, reason: `only on ${provider === 'dml' ? 'Windows' : 'macOS'}` });
    } else if (!available.has(provider)) {
      skipped.push({ provider, reason: 'not in this onnxruntime-node build' });
    } else {
      candidates.push(provider);
    }
  }
  candidates.push('cpu');
  return { candidates, skipped };
}
