import { encodeGlobalID } from '@pothos/plugin-relay';
import type { BatchRow, JobRow } from '../db/index.ts';
import { getSet, listSets, planBatch, randomTheme, type CardSet, type PlannedItem, type SetItem, type SetLoadError } from '../sets/index.ts';
import { startBatch, fromSetError } from './batch-start.ts';
import { builder } from './builder.ts';
import { parseSeed } from './generate-validation.ts';
import { LoraWeightInput } from './jobs.ts';
import { BatchRef, JobRef } from './refs.ts';
import { DecoderEnum, GenerationPresetEnum } from './presets.ts';

const SetLoraRef = builder.objectRef<{ name: string; weight: number }>('SetLora').implement({
  fields: (t) => ({ name: t.exposeString('name'), weight: t.exposeFloat('weight') }),
});

const SetItemRef = builder.objectRef<SetItem>('SetItem').implement({
  description: 'One row of a set CSV.',
  fields: (t) => ({
    index: t.exposeInt('index'),
    item: t.exposeString('item', { description: 'File-name slug, unique within the set.' }),
    label: t.exposeString('label'),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    seed: t.string({ nullable: true, resolve: (i) => (i.seed === null ? null : i.seed.toString()) }),
  }),
});

const ItemPromptRef = builder.objectRef<PlannedItem>('ItemPrompt').implement({
  description: "One item's prompt as a batch with this theme would use it.",
  fields: (t) => ({
    index: t.exposeInt('index'),
    item: t.exposeString('item'),
    label: t.exposeString('label'),
    prompt: t.exposeString('prompt'),
    negativePrompt: t.exposeString('negativePrompt'),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    seed: t.string({ nullable: true, description: 'Only with a seed argument or a seed column.', resolve: (i) => (i.seed === null ? null : i.seed.toString()) }),
    tokenCount: t.exposeInt('tokenCount', { description: 'CLIP tokens; one window reads 75.' }),
    warnings: t.exposeStringList('warnings'),
  }),
});

const CardSetRef = builder.objectRef<CardSet>('CardSet').implement({
  description: 'A set of cards from sets/config.yaml and its CSV.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    columns: t.exposeStringList('columns'),
    exampleTheme: t.exposeString('exampleTheme', { nullable: true }),
    themes: t.exposeStringList('themes'),
    loras: t.field({ type: [SetLoraRef], resolve: (s) => s.loras }),
    itemCount: t.int({ resolve: (s) => s.items.length }),
    items: t.field({ type: [SetItemRef], resolve: (s) => s.items }),
    preview: t.field({
      type: [ItemPromptRef],
      description: 'The prompts generateBatch would queue for this theme, without queueing anything.',
      args: { theme: t.arg.string({ defaultValue: '' }), seed: t.arg.string(), limit: t.arg.int() },
      resolve: (set, args, ctx) =>
        setErrors(
          () =>
            planBatch({
              setsDir: ctx.services.config().sets.directory,
              setId: set.id,
              theme: args.theme ?? '',
              seed: args.seed ? parseSeed(args.seed) : undefined,
              limit: args.limit ?? undefined,
            }).items,
        ),
    }),
  }),
});

const SetLoadErrorRef = builder.objectRef<SetLoadError>('SetLoadError').implement({
  fields: (t) => ({ setId: t.exposeString('setId'), message: t.exposeString('message') }),
});

const GenerateBatchInput = builder.inputType('GenerateBatchInput', {
  fields: (t) => ({
    setId: t.string({ required: true }),
    theme: t.string({ description: 'Absent: a random theme of the set; "" for none.' }),
    seed: t.string({ description: 'Item i gets seed + i (a row seed column wins); random when absent.' }),
    loras: t.field({ type: [LoraWeightInput], description: "Replaces the set's LoRAs." }),
    limit: t.int({ description: 'Only the first rows.' }),
    steps: t.int(),
    guidanceScale: t.float(),
    scheduler: t.string(),
    rng: t.string(),
    priority: t.int(),
    preset: t.field({ type: GenerationPresetEnum, description: 'FAST_DRAFT: every item with the few-step LCM preset (steps, guidanceScale and scheduler replaced).' }),
    decoder: t.field({ type: DecoderEnum }),
  }),
});

const GenerateBatchPayload = builder.objectRef<{ batch: BatchRow; jobs: JobRow[]; warnings: string[] }>('GenerateBatchPayload').implement({
  fields: (t) => ({
    batch: t.field({ type: BatchRef, resolve: (p) => p.batch }),
    jobs: t.field({ type: [JobRef], resolve: (p) => p.jobs }),
    warnings: t.exposeStringList('warnings', { description: 'Prompt notes, e.g. items longer than 77 tokens.' }),
  }),
});

function setErrors<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw fromSetError(error);
  }
}

builder.queryFields((t) => ({
  sets: t.field({ type: [CardSetRef], resolve: (_r, _a, ctx) => setErrors(() => listSets(ctx.services.config().sets.directory).sets) }),
  setLoadErrors: t.field({
    type: [SetLoadErrorRef],
    description: 'Sets that failed to load (the others still work).',
    resolve: (_r, _a, ctx) => setErrors(() => listSets(ctx.services.config().sets.directory).errors),
  }),
  set: t.field({
    type: CardSetRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => setErrors(() => getSet(ctx.services.config().sets.directory, String(args.id))),
  }),
  randomTheme: t.string({
    description: "A theme from the set's list (else the global list).",
    args: { setId: t.arg.id() },
    resolve: (_r, args, ctx) => setErrors(() => randomTheme(ctx.services.config().sets.directory, args.setId === null || args.setId === undefined ? undefined : String(args.setId))),
  }),
}));

builder.mutationFields((t) => ({
  generateBatch: t.field({
    type: GenerateBatchPayload,
    description: 'Queues one job per item of a set into outputs/{set}_{timestamp}/ with a batch.json manifest.',
    args: { input: t.arg({ type: GenerateBatchInput, required: true }) },
    resolve: (_r, { input }, ctx) => startBatch(ctx.services, input),
  }),
}));

export const batchGlobalId = (batch: BatchRow): string => encodeGlobalID('Batch', batch.id);
