import { randomInt } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { BatchRow, JobRow } from '../db/index.ts';
import {
  createBatchDirectory,
  itemFileStem,
  manifestFromPlan,
  planBatch,
  randomTheme,
  SetError,
  writeBatchManifest,
  type BatchPlan,
} from '../sets/index.ts';
import type { ServerServices } from './context.ts';
import { badUserInput } from './errors.ts';
import { parseSeed, validateGenerateInput } from './generate-validation.ts';
import { assertLorasUsable } from './loras.ts';
import { withPreset } from './presets.ts';
import type { DecoderName } from '../engine/pipeline/validate.ts';
import type { GenerationPreset } from '../presets/index.ts';

/** `generateBatch` input, shared by the GraphQL mutation and `POST /api/generate/batch`. */
export interface BatchRequest {
  setId: string;
  /** Absent: a random theme of the set; '' = no theme. */
  theme?: string | null;
  seed?: string | null;
  /** Replaces the set's LoRAs when given. */
  loras?: readonly { name: string; weight?: number | null }[] | null;
  limit?: number | null;
  steps?: number | null;
  guidanceScale?: number | null;
  scheduler?: string | null;
  rng?: string | null;
  priority?: number | null;
  /** `fast_draft`: the few-step LCM preset on every item. */
  preset?: GenerationPreset | null;
  decoder?: DecoderName | null;
}

export interface StartedBatch {
  batch: BatchRow;
  jobs: JobRow[];
  warnings: string[];
}

/** SetErrors carry the GraphQL code already; BAD_USER_INPUT gets the input field its message is about. */
export function fromSetError(error: unknown): unknown {
  if (!(error instanceof SetError)) return error;
  if (error.code === 'BAD_USER_INPUT') {
    const field = /\blimit\b/.test(error.message) ? 'limit' : /\bseed\b/.test(error.message) ? 'seed' : /\btheme\b/i.test(error.message) ? 'theme' : 'setId';
    return badUserInput(field, error.message);
  }
  return new GraphQLError(error.message, { extensions: { code: error.code, ...(error.setId ? { setId: error.setId } : {}) } });
}

function withSetErrors<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw fromSetError(error);
  }
}

/** Plans the set's items, checks every job like `generate` would, then creates the batch folder, its manifest, row and jobs. */
export async function startBatch(services: ServerServices, request: BatchRequest): Promise<StartedBatch> {
  const engine = services.engine();
  if (engine.state === 'FAILED' && engine.error) throw new GraphQLError(engine.error.message, { extensions: { code: engine.error.code } });
  const config = services.config();
  const setsDir = config.sets.directory;
  const theme = request.theme ?? withSetErrors(() => randomTheme(setsDir, request.setId));
  const seed = request.seed === null || request.seed === undefined ? BigInt(randomInt(0, 2 ** 32)) : parseSeed(request.seed);
  const plan: BatchPlan = withSetErrors(() =>
    planBatch({
      setsDir,
      setId: request.setId,
      theme,
      seed,
      limit: request.limit ?? undefined,
      loras: request.loras?.map((l) => ({ name: l.name, weight: l.weight ?? 1 })),
    }),
  );
  const limits = { schedulers: engine.schedulers, rngs: engine.rngs, loraNames: plan.loras.length > 0 ? await services.loraNames() : [] };
  if (!request.loras) {
    // The set's own LoRAs: a missing file is the set's problem, so say which set and which file.
    const missing = plan.loras.find((l) => !limits.loraNames.includes(l.name));
    if (missing) {
      throw badUserInput('setId', `set "${request.setId}" uses the LoRA "${missing.name}", but ${missing.name}.safetensors is not in the LoRA folder; nothing was queued`);
    }
  }
  const parameters = plan.items.map(
    (item) =>
      validateGenerateInput(
        {
          prompt: item.prompt,
          negativePrompt: item.negativePrompt,
          width: item.width,
          height: item.height,
          steps: request.steps,
          guidanceScale: request.guidanceScale,
          seed: (item.seed ?? seed).toString(),
          scheduler: request.scheduler,
          rng: request.rng,
          numImages: 1,
          loras: plan.loras,
          priority: request.priority,
        },
        config,
        limits,
      )[0],
  );

  const jobParameters = await withPreset(services, parameters, request.preset, request.decoder);
  await assertLorasUsable(config.lora.directory, jobParameters[0]?.loras ?? []);

  const created = new Date();
  const directory = createBatchDirectory(config.output.directory, plan.set.id, created);
  const first = jobParameters[0];
  writeBatchManifest(directory.path, {
    ...manifestFromPlan(plan, created, directory.timestamp),
    steps: first.steps,
    guidanceScale: first.guidanceScale,
    scheduler: first.scheduler,
    rng: first.rng,
    preset: first.preset ?? 'standard',
    model: engine.model,
  });
  const batch = services.repos.batches.insert({
    setId: plan.set.id,
    theme: plan.theme,
    seed: seed.toString(),
    directory: directory.name,
    totalJobs: jobParameters.length,
    createdAt: created.getTime(),
  });
  const jobs = services.queue.enqueue(
    jobParameters.map((p, i) => {
      const item = plan.items[i];
      return {
        ...p,
        batchId: batch.id,
        outputName: `${directory.name}/${itemFileStem(directory.timestamp, item.item)}.png`,
        extraMetadata: { set: plan.set.id, setName: plan.set.name, item: item.item, label: item.label, theme: plan.theme, batchId: batch.id },
      };
    }),
  );
  services.events.batchChanged(batch);
  return { batch, jobs, warnings: plan.items.flatMap((item) => item.warnings.map((w) => `${item.item}: ${w}`)) };
}
