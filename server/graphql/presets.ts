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
  description: 'FULL: the model\'s VAE decoder. TINY: a TAESD decoder (faster, slightly softer); full is used, with a note in the sidecar, when the engine has none.',
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
  if (chosen === 'fast_draft' && !(await locateFastDraftLora(config))) {
    throw badUserInput('preset', lcmLoraMissingMessage(config.generation.fast_draft.lora));
  }
  return parameters.map((p) => ({ ...applyPreset(chosen, { ...p, decoder: decoder ?? 'full' }, config.generation.fast_draft, decoder), preset: chosen }));
}
