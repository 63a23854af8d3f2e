import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../../config/index.ts';
import { HubError, importModel, listLocalModels, pullModel, type PullProgress } from '../../hub/index.ts';
import { optimizeCli } from './models-optimize.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';

const USAGE = `imagineer models pull <owner/name> [--revision R] [--hub-url URL]
       imagineer models list
       imagineer models import <folder> [--name NAME] [--link]
       imagineer models optimize <model> --int8|--fp16 [--out DIR]`;

export const modelsCommand: Command = {
  name: 'models',
  summary: 'Download, import, list and optimize (int8, fp16) Stable Diffusion 1.5 ONNX models (kept in model.cache_dir)',
  usage: USAGE,
  async run(args) {
    const [action, ...rest] = args;
    const config = loadConfig();
    try {
      switch (action) {
        case 'pull':
          return await pull(rest, config.model.cache_dir, config.model.default);
        case 'list':
          return list(config.model.cache_dir, config.model.default);
        case 'import':
          return importFolder(rest, config.model.cache_dir);
        case 'optimize':
          return await optimizeCli(rest, config.model.cache_dir);
        default:
          throw new UsageError(`expected pull, list, import or optimize, got ${JSON.stringify(action ?? '')}\nusage: ${USAGE}`);
      }
    } catch (error) {
      if (error instanceof HubError && error.code === 'BAD_USER_INPUT') throw new UsageError(error.message);
      throw error;
    }
  },
};

function flags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function pull(args: string[], cacheDir: string, current: string): Promise<number> {
  const { values, positionals } = flags(args, { revision: { type: 'string' }, 'hub-url': { type: 'string' } });
  const [repo] = positionals;
  if (!repo || positionals.length > 1) throw new UsageError('models pull takes one hub repo id, e.g. someone/stable-diffusion-v1-5-onnx');
  const bar = progressBar();
  const result = await pullModel({
    repo,
    revision: values.revision as string | undefined,
    cacheDir,
    hubUrl: (values['hub-url'] as string | undefined) ?? process.env.HF_ENDPOINT,
    accessToken: process.env.HF_TOKEN,
    onProgress: bar,
  });
  process.stderr.write('\n');
  const resumed = result.files.filter((f) => f.resumedFrom > 0).length;
  const skipped = result.files.filter((f) => f.skipped).length;
  console.log(`${repo} → ${result.dir}`);
  console.log(`${result.files.length} files, ${megabytes(result.downloadedBytes)} downloaded (${skipped} already complete, ${resumed} resumed)`);
  if (current !== result.dir && current !== repo) console.log(`use it: set model.default: ${result.dir} in config.yaml`);
  return 0;
}

function list(cacheDir: string, current: string): number {
  const models = listLocalModels(cacheDir);
  if (!models.length) {
    console.log(`no models in ${cacheDir}; get one with \`imagineer models pull <owner/name>\` or \`imagineer models import <folder>\``);
    return 0;
  }
  for (const model of models) {
    const active = model.dir === current ? ' (active)' : '';
    console.log(`${model.name}${active}\t${megabytes(model.bytes)}\t${model.source}`);
  }
  return 0;
}

function importFolder(args: string[], cacheDir: string): number {
  const { values, positionals } = flags(args, { name: { type: 'string' }, link: { type: 'boolean', default: false } });
  const [folder] = positionals;
  if (!folder || positionals.length > 1) throw new UsageError('models import takes one folder');
  const model = importModel(folder, cacheDir, { name: values.name as string | undefined, link: values.link as boolean });
  console.log(`imported ${model.name} (${megabytes(model.bytes)}, ${model.source}) → ${model.dir}`);
  console.log(`use it: set model.default: ${model.dir} in config.yaml`);
  return 0;
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function progressBar(): (p: PullProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.doneBytes < p.totalBytes) return;
    last = now;
    const width = 30;
    const filled = Math.round((p.doneBytes / Math.max(1, p.totalBytes)) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${megabytes(p.doneBytes)} / ${megabytes(p.totalBytes)} ${p.file.padEnd(32).slice(0, 32)}`);
  };
}
