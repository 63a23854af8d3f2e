import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/**
 * Backends this onnxruntime-node build can use: the bundled ones, plus those shipped separately (CUDA) when their
 * provider library is installed next to the binding.
 */
export function usableBackends(): { name: string }[] {
  const libraries = providerLibraries();
  return listSupportedBackends().filter((b) => b.bundled || libraries.some((file) => file.includes(`providers_${b.name}`)));
}

function providerLibraries(): string[] {
  try {
    const binDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && depth < 4) walk(join(dir, entry.name), depth + 1);
        else if (entry.name.includes('onnxruntime_providers_')) found.push(entry.name);
      }
    };
    if (existsSync(binDir)) walk(binDir, 0);
    return found;
  } catch {
    return [];
  }
}

/** Which execution providers to try for a `hardware.device` setting, given what this onnxruntime-node build ships. */
export function planProviders(
  device: DeviceSetting,
  backends: readonly { name: string }[] = usableBackends(),
  platform: NodeJS.Platform = process.platform,
): ProviderPlan {
  const available = new Set(backends.map((b) => b.name));
  if (device !== 'auto') {
    if (device !== 'cpu' && !available.has(device)) {
      return {
        candidates: [],
        skipped: [{ provider: device, reason: `this onnxruntime-node installation cannot use '${device}' (usable: ${[...available].join(', ')})` }],
      };
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
      skipped.push({ provider, reason: 'not installed with onnxruntime-node (see README, GPU provider)' });
    } else {
      candidates.push(provider);
    }
  }
  candidates.push('cpu');
  return { candidates, skipped };
}
