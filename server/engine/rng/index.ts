import { type NoiseGenerator, type RngName } from './generator.ts';
import { NumpyLegacyGenerator } from './numpy-legacy.ts';
import { parseSeed } from './parse.ts';
import { PhiloxNvGenerator } from './philox-nv.ts';
import { TorchCpuGenerator } from './torch-cpu.ts';

export { RNG_NAMES, type NoiseGenerator, type RngName } from './generator.ts';
export { NUMPY_SEED_MAX } from './numpy-legacy.ts';
export { SEED_MAX, parseRngName, parseSeed, parseShape, randomSeed } from './parse.ts';
export { formatFloat32 } from './format.ts';

/** A fresh generator, seeded as `torch.manual_seed(seed)` / `np.random.RandomState(seed)` would be. */
export function createGenerator(name: RngName, seed: bigint): NoiseGenerator {
  const checked = parseSeed(seed);
  switch (name) {
    case 'torch':
      return new TorchCpuGenerator(checked);
    case 'numpy':
      return new NumpyLegacyGenerator(checked);
    case 'nv':
      return new PhiloxNvGenerator(checked);
    default:
      throw new RangeError(`unknown RNG ${JSON.stringify(name)}`);
  }
}
