import path from 'node:path';
import { GraphQLError } from 'graphql';
import { listLoras, type LoraInfo } from '../engine/lora/index.ts';
import { builder } from './builder.ts';

const LoraErrorRef = builder.objectRef<{ code: string; message: string }>('LoraFileError').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

const LoraFileRef = builder.objectRef<LoraInfo>('LoraFile').implement({
  description: 'A LoRA in the LoRA folder; pass its name to generate or generateBatch.',
  fields: (t) => ({
    name: t.exposeString('name'),
    sizeBytes: t.float({ resolve: (l) => l.size }),
    sha256: t.exposeString('sha256'),
    autoV2: t.exposeString('autoV2', { description: 'AUTOMATIC1111 short hash (first 10 hex digits of the sha256).' }),
    baseModel: t.exposeString('baseModel', { description: 'sd15, sdxl, sd2 or unknown.' }),
    baseModelReason: t.exposeString('baseModelReason'),
    compatible: t.boolean({
      description: 'Usable with the SD1.5 engine (a readable file not made for another base model).',
      resolve: (l) => !l.error && (l.baseModel === 'sd15' || l.baseModel === 'unknown'),
    }),
    rank: t.exposeInt('rank', { nullable: true }),
    modules: t.stringList({ resolve: (l) => [...l.modules] }),
    triggerWords: t.exposeStringList('triggerWords'),
    previewUrl: t.string({
      nullable: true,
      resolve: (l) => (l.preview ? `/lora-previews/${encodeURIComponent(l.name)}${path.extname(l.preview).toLowerCase()}` : null),
    }),
    error: t.field({ type: LoraErrorRef, nullable: true, resolve: (l) => l.error ?? null }),
  }),
});

builder.queryFields((t) => ({
  loras: t.field({
    type: [LoraFileRef],
    description: 'The .safetensors files of lora.directory with their hashes, base model and trigger words.',
    resolve: (_root, _args, ctx) => listLoras(ctx.services.config().lora.directory),
  }),
}));

/** Refuses, before queueing, LoRAs the library already knows to be unusable: unreadable files or another base model. */
export async function assertLorasUsable(directory: string, loras: readonly { name: string }[]): Promise<void> {
  if (loras.length === 0) return;
  const library = await listLoras(directory);
  loras.forEach(({ name }, i) => {
    const info = library.find((l) => l.name === name);
    const field = `loras.${i}.name`;
    if (info?.error) throw new GraphQLError(`LoRA "${name}": ${info.error.message}`, { extensions: { code: info.error.code, field } });
    if (info && (info.baseModel === 'sdxl' || info.baseModel === 'sd2')) {
      throw new GraphQLError(`LoRA "${name}" was made for ${info.baseModel} (${info.baseModelReason}); this engine runs SD1.5 models`, {
        extensions: { code: 'LORA_INCOMPATIBLE', field },
      });
    }
  });
}
