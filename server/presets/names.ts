export const GENERATION_PRESETS = ['standard', 'fast_draft'] as const;
export type GenerationPreset = (typeof GENERATION_PRESETS)[number];
