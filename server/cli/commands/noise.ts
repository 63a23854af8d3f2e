import { parseArgs } from 'node:util';

import { createGenerator, formatFloat32, parseRngName, parseSeed, parseShape, RNG_NAMES } from '../../engine/rng/index.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';

const DEFAULT_SHAPE = '1,4,64,64';

interface NoiseOptions {
  seed: string;
  shape: string;
  rng: string;
}

function parse(args: string[]): NoiseOptions {
  try {
    const { values } = parseArgs({
      args,
      options: {
        seed: { type: 'string' },
        shape: { type: 'string', default: DEFAULT_SHAPE },
        rng: { type: 'string', default: 'torch' },
      },
    });
    if (values.seed === undefined) throw new UsageError('missing --seed (an integer in 0 … 18446744073709551615)');
    return { seed: values.seed, shape: values.shape, rng: values.rng };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/** Runs `parse`-style validation and turns the engine's RangeErrors into usage errors. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

export const noiseCommand: Command = {
  name: 'noise',
  summary: 'Print the seeded initial noise (standard normal, float32) as one JSON array, as torch/numpy would draw it.',
  usage: `imagineer noise --seed S [--shape ${DEFAULT_SHAPE}] [--rng ${RNG_NAMES.join('|')}]\n\n` +
    '  --seed S       integer in 0 … 18446744073709551615 (numpy: 0 … 4294967295)\n' +
    `  --shape DIMS   comma-separated positive integers (default ${DEFAULT_SHAPE})\n` +
    '  --rng NAME     torch: torch.manual_seed(S); torch.randn(shape) on the CPU (default)\n' +
    '                 numpy: np.random.RandomState(S).randn(*shape)\n' +
    '                 nv: AUTOMATIC1111\'s "NV" Philox source, which imitates torch.randn on CUDA',
  async run(args) {
    const options = parse(args);
    const generator = checked(() => {
      const seed = parseSeed(options.seed);
      const rng = parseRngName(options.rng);
      return createGenerator(rng, seed);
    });
    const count = checked(() => parseShape(options.shape)).reduce((a, b) => a * b, 1);
    const values = generator.randn(count);
    const parts = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) parts[i] = formatFloat32(values[i]);
    process.stdout.write(`[${parts.join(',')}]\n`);
    return 0;
  },
};
