/**
 * Fast-draft benchmark (`npm run bench -- draft` → bench/results/draft.json): the 54-card deck's time at 25-step
 * DPM++ 2M against the fast draft preset (LCM-LoRA + LCM, 4 steps, guidance 1) on the tiny forged model at the deck's
 * size (sets/config.yaml card_deck). Each mode runs a subset of the deck's real prompts (after a warm-up image, which
 * for fast draft also pays the one-time LoRA merge) and the deck time is extrapolated to 54 items.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../server/config/schema.ts';
import { forgeLcmLora } from '../server/engine/forge/lcm-lora.ts';
import { applyPreset } from '../server/presets/index.ts';
import { chooseDecoder } from '../server/queue/engine-runner.ts';
import { planBatch } from '../server/sets/index.ts';
import { EngineWorker, type GenerateRequest } from '../server/worker/engine-client.ts';
import { BENCH_DIR, round, tinyModelDir } from './models.ts';

const DECK_ITEMS = 54;
const SETS_DIR = fileURLToPath(new URL('../sets', import.meta.url));

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export async function runDraftBench(options: { subset?: number } = {}) {
  const subset = options.subset ?? 6;
  const defaults = configSchema.parse({}).generation;
  const fastDraft = defaults.fast_draft;
  const plan = planBatch({ setsDir: SETS_DIR, setId: 'card_deck', theme: 'art nouveau', seed: 1000n, loras: [] });
  if (plan.items.length !== DECK_ITEMS) throw new Error(`card_deck has ${plan.items.length} items, expected ${DECK_ITEMS}`);
  const loraDir = join(BENCH_DIR, 'loras');
  forgeLcmLora(join(loraDir, `${fastDraft.lora}.safetensors`), { architecture: 'tiny' });
  const engine = await EngineWorker.start({ modelDir: await tinyModelDir(), device: 'cpu', threads: 0, dataDir: join(BENCH_DIR, 'data'), loraDir }, { log: () => {} });
  try {
    const decoder = chooseDecoder(fastDraft.decoder, engine.info().decoders);
    const standard = { steps: 25, guidanceScale: defaults.guidance_scale, scheduler: 'dpmpp_2m', loras: [] as { name: string; weight: number }[], decoder: 'full' as const };
    const modes = {
      standard,
      fastDraft: { ...applyPreset('fast_draft', standard, fastDraft), decoder: decoder.name },
    };
    const request = (mode: keyof typeof modes, index: number): GenerateRequest => {
      const item = plan.items[index];
      const m = modes[mode];
      return {
        prompt: item.prompt,
        negativePrompt: item.negativePrompt,
        width: item.width,
        height: item.height,
        seed: String(item.seed ?? 1000 + index),
        steps: m.steps,
        guidanceScale: m.guidanceScale,
        scheduler: m.scheduler as GenerateRequest['scheduler'],
        loras: m.loras,
        decoder: m.decoder,
        outputPath: join(BENCH_DIR, 'out', `draft-${mode}-${index}.png`),
      };
    };
    const results: Record<string, unknown> = {};
    for (const mode of Object.keys(modes) as (keyof typeof modes)[]) {
      console.error(`draft: ${mode}, warm-up + ${subset} items…`);
      const warmStarted = performance.now();
      await engine.generate(`${mode}-warm-up`, request(mode, DECK_ITEMS - 1));
      const warmUpMs = performance.now() - warmStarted;
      const started = performance.now();
      const done = [];
      for (let i = 0; i < subset; i++) done.push(await engine.generate(`${mode}-${i}`, request(mode, i)));
      const wallMs = performance.now() - started;
      const perItemMs = wallMs / subset;
      results[mode] = {
        settings: { ...modes[mode], loras: modes[mode].loras.map((l) => `${l.name}:${l.weight}`) },
        warmUpMs: round(warmUpMs),
        measuredItems: subset,
        perItemMs: round(perItemMs),
        meanSessionRunMs: round(sum(done.map((r) => r.timings.sessionRunMs)) / subset),
        deckMsExtrapolated: round(perItemMs * DECK_ITEMS),
      };
    }
    const s = results.standard as { deckMsExtrapolated: number };
    const f = results.fastDraft as { deckMsExtrapolated: number };
    return {
      notes:
        `tiny forged model, card_deck size ${plan.items[0].width}x${plan.items[0].height}, real deck prompts; ${subset} items measured per mode ` +
        `(one after another, after one warm-up image; fast draft's warm-up includes merging the LCM-LoRA once) and extrapolated ×${DECK_ITEMS / subset} to ${DECK_ITEMS}. ` +
        `Standard: 25-step DPM++ 2M, guidance ${defaults.guidance_scale} (CFG, UNet batch 2). Fast draft: ${fastDraft.steps}-step LCM, guidance ${fastDraft.guidance_scale} (no unconditional pass), ` +
        `LCM-LoRA merged, decoder ${decoder.name}${decoder.note ? ` (${decoder.note})` : ''}.`,
      deckItems: DECK_ITEMS,
      ...results,
      speedup: round(s.deckMsExtrapolated / f.deckMsExtrapolated, 2),
    };
  } finally {
    await engine.close();
  }
}
