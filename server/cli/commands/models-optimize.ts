/** `imagineer models optimize <model> --int8|--fp16 [--out DIR]`. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listLocalModels, modelDirFor, REPO_ID } from '../../hub/index.ts';
import { defaultOutDir, optimizeModel, OptimizeError, type OptimizeMethod } from '../../engine/optimize/index.ts';
import { UsageError, UserFacingError } from '../errors.ts';

/** A folder path, a name as `models list` shows it, or a pulled hub repo id. */
export function resolveModelArgument(model: string, cacheDir: string): string {
  if (existsSync(model) && statSync(model).isDirectory()) return resolve(model);
  const byName = listLocalModels(cacheDir).find((entry) => entry.name === model);
  if (byName) return byName.dir;
  if (REPO_ID.test(model) && existsSync(join(modelDirFor(cacheDir, model), 'model_index.json'))) return modelDirFor(cacheDir, model);
  const known = listLocalModels(cacheDir).map((entry) => entry.name);
  throw new UsageError(
    `unknown model ${JSON.stringify(model)}: not a folder and not a model in ${cacheDir}` +
      (known.length ? ` (there: ${known.join(', ')})` : ' (none there; see `imagineer models list`)'),
  );
}

export async function optimizeCli(args: string[], cacheDir: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { int8: { type: 'boolean', default: false }, fp16: { type: 'boolean', default: false }, out: { type: 'string' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('models optimize takes one model (a folder, or a name from `models list`) and --int8 or --fp16');
  if (values.int8 === values.fp16) throw new UsageError('models optimize needs exactly one of --int8 and --fp16');
  const method: OptimizeMethod = values.int8 ? 'int8' : 'fp16';
  const source = resolveModelArgument(positionals[0], cacheDir);
  const out = values.out ? resolve(values.out) : defaultOutDir(source, method);
  try {
    const manifest = await optimizeModel({ source, out, method, log: (line) => console.error(line) });
    const before = Object.values(manifest.components).reduce((sum, c) => sum + c.bytesBefore, 0);
    const after = Object.values(manifest.components).reduce((sum, c) => sum + c.bytesAfter, 0);
    console.log(`${method} model → ${out} (${Object.keys(manifest.components).join(', ')}: ${mib(before)} → ${mib(after)}, ${manifest.seconds} s)`);
    console.log(`use it: set model.default: ${out} in config.yaml`);
    return 0;
  } catch (error) {
    if (error instanceof OptimizeError) throw error.code === 'ALREADY_EXISTS' ? new UsageError(error.message) : new UserFacingError(error.message);
    throw error;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
