import type { Command } from '../command.ts';

/** Each command lives in its own file and is loaded only when named, so `imagineer tokenize` never loads ONNX Runtime. */
export const commandLoaders: Record<string, () => Promise<Command>> = {
  tokenize: async () => (await import('./tokenize.ts')).tokenizeCommand,
  noise: async () => (await import('./noise.ts')).noiseCommand,
  forge: async () => (await import('./forge.ts')).forgeCommand,
  models: async () => (await import('./models.ts')).modelsCommand,
  generate: async () => (await import('./generate.ts')).generateCommand,
  loras: async () => (await import('./loras.ts')).lorasCommand,
  serve: async () => (await import('./serve.ts')).serveCommand,
  info: async () => (await import('./info.ts')).infoCommand,
};
