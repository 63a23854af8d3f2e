export { loadConfig, validateConfig, defaultConfigPath, type LoadedConfig } from './load.ts';
export { updateConfigFile, type ConfigPatch } from './update.ts';
export { ConfigError } from './errors.ts';
export { configSchema, DEVICES, UPDATABLE_KEYS, type Config, type Device } from './schema.ts';
