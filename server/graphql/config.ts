import path from 'node:path';
import { GraphQLError } from 'graphql';
import { ConfigError, type ConfigPatch, type LoadedConfig } from '../config/index.ts';
import { builder } from './builder.ts';

type Generation = LoadedConfig['generation'];

const GenerationDefaults = builder.objectRef<Generation>('GenerationDefaults').implement({
  fields: (t) => ({
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    steps: t.exposeInt('steps'),
    guidanceScale: t.float({ resolve: (g) => g.guidance_scale }),
    negativePrompt: t.string({ resolve: (g) => g.negative_prompt }),
    scheduler: t.exposeString('scheduler'),
    rng: t.exposeString('rng'),
    numImages: t.int({ resolve: (g) => g.num_images }),
    maxPixels: t.int({ resolve: (g) => g.max_pixels }),
  }),
});

/** A read-only view: no file system paths beyond names, never the API key. */
const ConfigRef = builder.objectRef<LoadedConfig>('Config').implement({
  fields: (t) => ({
    generation: t.field({ type: GenerationDefaults, resolve: (c) => c.generation }),
    saveMetadata: t.boolean({ resolve: (c) => c.output.save_metadata }),
    loraStrict: t.boolean({ resolve: (c) => c.lora.strict }),
    device: t.string({ resolve: (c) => c.hardware.device }),
    threads: t.int({ resolve: (c) => c.hardware.threads }),
    model: t.string({ resolve: (c) => (path.isAbsolute(c.model.default) ? path.basename(c.model.default) : c.model.default) }),
    updatable: t.boolean({ description: 'Whether updateConfig can write the config file.', resolve: (_c, _a, ctx) => ctx.services.updateConfig !== undefined }),
  }),
});

const GenerationDefaultsInput = builder.inputType('GenerationDefaultsInput', {
  fields: (t) => ({
    width: t.int(),
    height: t.int(),
    steps: t.int(),
    guidanceScale: t.float(),
    negativePrompt: t.string(),
    scheduler: t.string(),
    rng: t.string(),
    numImages: t.int(),
  }),
});

const ConfigUpdateInput = builder.inputType('ConfigUpdateInput', {
  fields: (t) => ({
    generation: t.field({ type: GenerationDefaultsInput }),
    saveMetadata: t.boolean(),
    loraStrict: t.boolean(),
  }),
});

const camelFields: Record<string, string> = {
  'generation.guidance_scale': 'generation.guidanceScale',
  'generation.negative_prompt': 'generation.negativePrompt',
  'generation.num_images': 'generation.numImages',
  'output.save_metadata': 'saveMetadata',
  'lora.strict': 'loraStrict',
};

builder.queryFields((t) => ({
  config: t.field({ type: ConfigRef, resolve: (_root, _args, ctx) => ctx.services.config() }),
}));

builder.mutationFields((t) => ({
  updateConfig: t.field({
    type: ConfigRef,
    description: 'Changes generation defaults and a few switches in config.yaml (comments kept); other keys need a restart.',
    args: { input: t.arg({ type: ConfigUpdateInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const update = ctx.services.updateConfig;
      if (!update) throw new GraphQLError('this server has no config file to update', { extensions: { code: 'CONFIG_READ_ONLY' } });
      const g = input.generation;
      const patch: ConfigPatch = {
        generation: g ? {
          width: g.width ?? undefined,
          height: g.height ?? undefined,
          steps: g.steps ?? undefined,
          guidance_scale: g.guidanceScale ?? undefined,
          negative_prompt: g.negativePrompt ?? undefined,
          scheduler: g.scheduler ?? undefined,
          rng: g.rng ?? undefined,
          num_images: g.numImages ?? undefined,
        } : undefined,
        output: { save_metadata: input.saveMetadata ?? undefined },
        lora: { strict: input.loraStrict ?? undefined },
      };
      try {
        return update(patch);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const key = error.issues[0]?.key ?? '';
        const problem = error.issues[0] ? `${error.issues[0].key}: ${error.issues[0].problem}` : error.message;
        throw new GraphQLError(problem, { extensions: { code: 'BAD_USER_INPUT', field: camelFields[key] ?? key } });
      }
    },
  }),
}));
