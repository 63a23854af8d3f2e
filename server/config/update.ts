import { renameSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.ts';
import { loadConfig, validateConfig, type LoadedConfig } from './load.ts';
import { UPDATABLE_KEYS } from './schema.ts';

export type ConfigPatch = { [S in keyof typeof UPDATABLE_KEYS]?: { [K in (typeof UPDATABLE_KEYS)[S][number]]?: unknown } };

/**
 * Applies an allowlisted partial update to the config file, keeping its comments and layout,
 * validates the result as a whole and writes it atomically. Returns the reloaded config.
 */
export function updateConfigFile(file: string, patch: ConfigPatch): LoadedConfig {
  const doc = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '');
  for (const [section, values] of Object.entries(patch)) {
    const allowed = (UPDATABLE_KEYS as Record<string, readonly string[]>)[section];
    if (!allowed) throw new ConfigError(`${section} cannot be changed while running; allowed: ${Object.keys(UPDATABLE_KEYS).join(', ')}`);
    for (const [key, value] of Object.entries(values ?? {})) {
      if (!allowed.includes(key)) {
        throw new ConfigError(`${section}.${key} cannot be changed while running; allowed: ${allowed.map((k) => `${section}.${k}`).join(', ')}`);
      }
      if (value !== undefined) doc.setIn([section, key], value);
    }
  }
  validateConfig(doc.toJS() ?? {}, file);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, doc.toString());
  renameSync(temp, file);
  return loadConfig({ path: file, env: {} });
}
