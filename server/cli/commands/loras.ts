import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { listLoras, type LoraInfo } from '../../engine/lora/index.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';

const flags = {
  'lora-dir': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function size(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function describe(l: LoraInfo): string {
  const lines = [
    `${l.name}  ${size(l.size)}  ${l.autoV2}  base ${l.baseModel}${l.rank ? `  rank ${l.rank}` : ''}  modules ${l.modules.join(', ') || '-'}`,
  ];
  if (l.triggerWords.length > 0) lines.push(`  trigger words: ${l.triggerWords.join(', ')}`);
  if (l.error) lines.push(`  ${l.error.code}: ${l.error.message}`);
  return lines.join('\n');
}

export const lorasCommand: Command = {
  name: 'loras',
  summary: 'List the LoRA folder: name, size, short hash, base model, rank, modules, trigger words.',
  usage: 'imagineer loras [--lora-dir DIR] [--config FILE] [--json]',
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({ args, options: flags, strict: true, allowPositionals: false }));
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, ' '));
    }
    const dir = values['lora-dir'] !== undefined ? resolve(values['lora-dir']) : loadConfig(values.config ? { path: values.config } : {}).lora.directory;
    const loras = await listLoras(dir);
    if (values.json) {
      console.log(JSON.stringify(loras, null, 2));
    } else if (loras.length === 0) {
      console.log(`no LoRAs in ${dir}`);
    } else {
      for (const l of loras) console.log(describe(l));
    }
    return 0;
  },
};
