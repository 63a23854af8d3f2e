import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, updateConfigFile } from '../../../server/config/index.ts';

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagineer-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function loadError(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ path: tempConfig(text), env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config.yaml', () => {
  it('loads the shipped file with the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.source).toMatch(/config\.yaml$/);
    expect(config.generation).toMatchObject({ width: 512, height: 512, steps: 25, guidance_scale: 8, scheduler: 'dpmpp_2m', num_images: 1 });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 10050 });
    expect(config.hardware.device).toBe('auto');
    expect(config.training).toMatchObject({ rank: 4, save_every: 250 });
  });

  it('fills every section from the embedded defaults when the file is empty', () => {
    const config = loadConfig({ path: tempConfig(''), env: {} });
    expect(config.generation.steps).toBe(25);
    expect(config.output.save_metadata).toBe(true);
    expect(config.model.default).toBe('demo');
  });

  it('resolves relative paths against the file, not the working directory', () => {
    const file = tempConfig('output:\n  directory: out\nserver:\n  data_dir: ./state\nmodel:\n  default: ./models/sd15\n');
    const dir = join(file, '..');
    const config = loadConfig({ path: file, env: {} });
    expect(config.output.directory).toBe(join(dir, 'out'));
    expect(config.server.data_dir).toBe(join(dir, 'state'));
    expect(config.model.default).toBe(join(dir, 'models/sd15'));
    expect(config.sets.directory).toBe(join(dir, 'sets'));
  });

  it('keeps a hub repo id until it is pulled, then points at its folder in the cache', () => {
    const file = tempConfig('model:\n  default: someone/sd15-onnx\n  cache_dir: cache\n');
    expect(loadConfig({ path: file, env: {} }).model.default).toBe('someone/sd15-onnx');
    const pulled = join(file, '..', 'cache', 'someone--sd15-onnx');
    mkdirSync(pulled, { recursive: true });
    expect(loadConfig({ path: file, env: {} }).model.default).toBe(pulled);
  });

  it('takes the file from IMAGINEER_CONFIG and the port from PORT', () => {
    const file = tempConfig('server:\n  port: 9000\n');
    expect(loadConfig({ env: { IMAGINEER_CONFIG: file } }).server.port).toBe(9000);
    expect(loadConfig({ env: { IMAGINEER_CONFIG: file, PORT: '12345' } }).server.port).toBe(12345);
  });

  it('names the key, the bad value and what is allowed', () => {
    const error = loadError('generation:\n  width: 500\n  scheduler: warp\n  stepz: 3\nhardware:\n  device: tpu\n');
    expect(error.message).toContain('generation.width: must be a multiple of 8 (got 500)');
    expect(error.message).toMatch(/generation\.scheduler: must be one of .*"dpmpp_2m".*\(got "warp"\)/);
    expect(error.message).toMatch(/generation\.stepz: unknown key; allowed here: width, height, steps/);
    expect(error.message).toMatch(/hardware\.device: must be one of "auto", "cuda", "dml", "coreml", "cpu" \(got "tpu"\)/);
    expect(error.issues.map((i) => i.key)).toEqual(['generation.width', 'generation.scheduler', 'generation.stepz', 'hardware.device']);
  });

  it('refuses out-of-range numbers and wrong types', () => {
    const error = loadError('generation:\n  steps: 0\n  guidance_scale: "high"\nserver:\n  port: 70000\n');
    expect(error.message).toContain('generation.steps');
    expect(error.message).toContain('generation.guidance_scale');
    expect(error.message).toContain('server.port');
  });

  it('reports broken YAML and a bad PORT in one line each', () => {
    expect(loadError('generation: [unclosed\n').message).toMatch(/is not valid YAML/);
    expect(loadError('', { PORT: 'eighty' }).message).toBe('PORT must be an integer in 0 … 65535, got "eighty"');
  });

  it('fails on a named file that does not exist', () => {
    expect(() => loadConfig({ path: '/nonexistent/imagineer.yaml', env: {} })).toThrow(/config file not found: \/nonexistent\/imagineer.yaml/);
  });
});

describe('updateConfigFile', () => {
  it('changes allowlisted keys and keeps the comments', () => {
    const file = tempConfig('# my settings\ngeneration:\n  steps: 25 # default\n');
    const config = updateConfigFile(file, { generation: { steps: 30, scheduler: 'euler' } });
    expect(config.generation.steps).toBe(30);
    expect(config.generation.scheduler).toBe('euler');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my settings');
    expect(text).toContain('# default');
  });

  it('refuses keys outside the allowlist and invalid values, leaving the file as it was', () => {
    const file = tempConfig('generation:\n  steps: 25\n');
    expect(() => updateConfigFile(file, { server: { port: 1 } } as never)).toThrow(/server cannot be changed while running/);
    expect(() => updateConfigFile(file, { generation: { steps: 1000 } })).toThrow(/generation\.steps/);
    expect(readFileSync(file, 'utf8')).toBe('generation:\n  steps: 25\n');
  });
});
