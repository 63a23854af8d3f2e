import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { HubError } from './errors.ts';
import { REQUIRED_EXPORT_FILES } from './selection.ts';

export interface LocalModel {
  name: string;
  dir: string;
  source: string;
  bytes: number;
  isDemo: boolean;
}

export function missingExportFiles(dir: string): string[] {
  return REQUIRED_EXPORT_FILES.filter((file) => !existsSync(join(dir, file)));
}

/** The model folders in the cache: pulled ones (with their hub source), imported ones and forged demo models. */
export function listLocalModels(cacheDir: string): LocalModel[] {
  if (!existsSync(cacheDir)) return [];
  return readdirSync(cacheDir, { withFileTypes: true })
    .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && existsSync(join(cacheDir, entry.name, 'model_index.json')))
    .map((entry) => {
      const dir = join(cacheDir, entry.name);
      return { name: entry.name, dir, source: describeSource(dir), bytes: folderBytes(dir), isDemo: existsSync(join(dir, 'forge.json')) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Registers an export already on disk: copied into the cache (or linked with `link`, to save the space). */
export function importModel(folder: string, cacheDir: string, options: { name?: string; link?: boolean } = {}): LocalModel {
  const source = resolve(folder);
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new HubError('BAD_USER_INPUT', `${source} is not a folder`);
  const missing = missingExportFiles(source);
  if (missing.length) {
    throw new HubError('MODEL_INVALID', `${source} is not a Stable Diffusion 1.5 ONNX export (diffusers or optimum layout): missing ${missing.join(', ')}`);
  }
  const name = options.name ?? basename(source);
  if (!/^[\w.@-]+$/.test(name)) throw new HubError('BAD_USER_INPUT', `model name ${JSON.stringify(name)} may only hold letters, digits, '.', '_', '@' and '-'`);
  const target = join(cacheDir, name);
  if (existsSync(target)) throw new HubError('BAD_USER_INPUT', `${target} already exists; pick another --name`);
  mkdirSync(cacheDir, { recursive: true });
  if (options.link) symlinkSync(source, target, 'dir');
  else cpSync(source, target, { recursive: true, filter: (path) => !path.endsWith('.partial') });
  return { name, dir: target, source: options.link ? `link to ${source}` : `copied from ${source}`, bytes: folderBytes(target), isDemo: false };
}

function describeSource(dir: string): string {
  const optimized = join(dir, 'imagineer-optimize.json');
  if (existsSync(optimized)) {
    const { method, source } = JSON.parse(readFileSync(optimized, 'utf8')) as { method: string; source: string };
    return `${method} of ${source} (imagineer models optimize)`;
  }
  const pulled = join(dir, 'imagineer-source.json');
  if (existsSync(pulled)) {
    const { repo, revision } = JSON.parse(readFileSync(pulled, 'utf8')) as { repo: string; revision: string };
    return `hub ${repo}@${revision}`;
  }
  if (existsSync(join(dir, 'forge.json'))) return 'forged demo model (random weights)';
  return 'imported folder';
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}
