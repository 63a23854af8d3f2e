import { builder } from './builder.ts';

const LoraFileRef = builder.objectRef<{ name: string }>('LoraFile').implement({
  description: 'A LoRA in the LoRA folder; pass its name to generate or generateBatch.',
  fields: (t) => ({ name: t.exposeString('name') }),
});

builder.queryFields((t) => ({
  loras: t.field({
    type: [LoraFileRef],
    description: 'The .safetensors files of lora.directory, by name.',
    resolve: async (_root, _args, ctx) => (await ctx.services.loraNames()).map((name) => ({ name })),
  }),
}));
