import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { modelDirFor, REPO_ID } from '../hub/paths.ts';
import { ConfigError } from './errors.ts';
import { configSchema, type Config } from './schema.ts';

export interface LoadedConfig extends Config {
  /** The file the settings came from; null when only the embedded defaults apply. */
  readonly source: string | null;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.IMAGINEER_CONFIG ? resolve(env.IMAGINEER_CONFIG) : resolve(projectRoot, 'config.yaml');
}

export function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const explicit = opts.path ?? env.IMAGINEER_CONFIG;
  const file = explicit ? resolve(explicit) : defaultConfigPath(env);
  if (explicit && !existsSync(file)) throw new ConfigError(`config file not found: ${file}`);
  const raw = existsSync(file) ? readYaml(file) : {};
  const config = validateConfig(raw, existsSync(file) ? file : 'embedded defaults');
  applyEnvironment(config, env);
  const base = existsSync(file) ? dirname(file) : process.cwd();
  resolvePaths(config, base);
  return { ...config, source: existsSync(file) ? file : null };
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parse(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

export function validateConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => describeIssue(issue, raw));
  const lines = issues.map((i) => `  ${i.key}: ${i.problem} (got ${JSON.stringify(i.value) ?? 'nothing'})`);
  throw new ConfigError(`invalid configuration in ${source}:\n${lines.join('\n')}`, issues);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown) {
  const keys = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const parent = keys.join('.');
    const allowed = allowedKeysAt(issue.path);
    return {
      key: issue.keys.map((k) => (parent ? `${parent}.${k}` : k)).join(', '),
      value: issue.keys.length === 1 ? valueAt(raw, [...issue.path, issue.keys[0]]) : issue.keys.map((k) => valueAt(raw, [...issue.path, k])),
      problem: `unknown key; allowed here: ${allowed.join(', ')}`,
    };
  }
  let problem = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    problem = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { key: keys.join('.') || '(root)', value: valueAt(raw, issue.path), problem };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let shape: Record<string, unknown> = configSchema.shape;
  for (const key of path) {
    const child = unwrap(shape[String(key)]);
    if (!child || typeof child !== 'object' || !('shape' in child)) return [];
    shape = (child as { shape: Record<string, unknown> }).shape;
  }
  return Object.keys(shape);
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { innerType?: unknown } } | undefined;
  while (current?.def?.innerType) current = current.def.innerType as typeof current;
  return current;
}

function applyEnvironment(config: Config, env: NodeJS.ProcessEnv): void {
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`PORT must be an integer in 0 … 65535, got ${JSON.stringify(env.PORT)}`, [
        { key: 'PORT', value: env.PORT, problem: 'must be an integer in 0 … 65535' },
      ]);
    }
    config.server.port = port;
  }
  if (env.IMAGINEER_API_KEY) config.server.api_key = env.IMAGINEER_API_KEY;
}

function resolvePaths(config: Config, base: string): void {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.model.cache_dir = abs(config.model.cache_dir);
  if (config.model.tiny_decoder !== 'auto' && config.model.tiny_decoder !== 'none') config.model.tiny_decoder = abs(config.model.tiny_decoder);
  config.output.directory = abs(config.output.directory);
  config.sets.directory = abs(config.sets.directory);
  config.lora.directory = abs(config.lora.directory);
  config.training.output_dir = abs(config.training.output_dir);
  config.server.data_dir = abs(config.server.data_dir);
  config.model.default = resolveModelReference(config.model.default, abs, config.model.cache_dir);
}

/**
 * `model.default` is `demo`, a folder, or a hub repo id (`owner/name`). An existing folder wins; a repo id
 * already pulled becomes its folder in the cache; one not pulled yet stays a repo id (the engine says to pull it).
 */
function resolveModelReference(value: string, abs: (p: string) => string, cacheDir: string): string {
  if (value === 'demo') return value;
  const folder = abs(value);
  if (existsSync(folder) || /^[.~/\\]|^[A-Za-z]:/.test(value) || !REPO_ID.test(value)) return folder;
  const pulled = modelDirFor(cacheDir, value);
  return existsSync(pulled) ? pulled : value;
}

