import type { DecoderName } from '../engine/pipeline/validate.ts';
import { applyPreset, lcmLoraMissingMessage, locateFastDraftLora, type GenerationPreset } from '../presets/index.ts';
import type { JobParameters } from '../queue/index.ts';
import { builder } from './builder.ts';
import type { ServerServices } from './context.ts';
import { badUserInput } from './errors.ts';

export const GenerationPresetEnum = builder.enumType('GenerationPreset', {
  description: 'STANDARD: the settings as given. FAST_DRAFT: LCM-LoRA + LCM scheduler at generation.fast_draft steps and guidance (4, 1), tiny decoder when the engine has one; prompt, seed, size and other LoRAs kept.',
  values: { STANDARD: { value: 'standard' }, FAST_DRAFT: { value: 'fast_draft' } } as const,
});

export const DecoderEnum = builder.enumType('Decoder', {
  description: 'FULL: the model\'s VAE decoder. TINY: a TAESD decoder (faster, slightly softer); refused when the engine has none (FAST_DRAFT then uses FULL, with a note in the sidecar).',
  values: { FULL: { value: 'full' }, TINY: { value: 'tiny' } } as const,
});

/**
 * Applies the preset and decoder choice to validated jobs. FAST_DRAFT needs the LCM-LoRA: when it is missing the
 * request is refused (field `preset`) before anything is queued.
 */
export async function withPreset(
  services: ServerServices,
  parameters: JobParameters[],
  preset: GenerationPreset | null | undefined,
  decoder: DecoderName | null | undefined,
): Promise<JobParameters[]> {
  const config = services.config();
  const chosen = preset ?? 'standard';
  // An explicit TINY is refused when the running engine has no TAESD; a preset's tiny falls back to the full VAE.
  const engine = services.engine();
  if (decoder === 'tiny' && engine.state === 'READY' && !engine.decoders.includes('tiny')) {
    throw badUserInput(
      'decoder',
      'this engine has no tiny (TAESD) decoder: set model.tiny_decoder to a TAESD ONNX export (e.g. huggingface-cli download deinferno/taesd-onnx --local-dir models/taesd) and restart, or use decoder FULL',
    );
  }
  if (chosen === 'fast_draft' && !(await locateFastDraftLora(config))) {
    throw badUserInput('preset', lcmLoraMissingMessage(config.generation.fast_draft.lora));
  }
  return parameters.map((p) => ({ ...applyPreset(chosen, { ...p, decoder: decoder ?? 'full' }, config.generation.fast_draft, decoder), preset: chosen }));
}
