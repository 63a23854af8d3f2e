/** Settings of an existing image, carried from the gallery into the Generate form ("use these settings"). */
export interface GenerateSettings {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  seed: string;
  scheduler: string;
  loras: { name: string; weight: number }[];
}

export const handoff = $state({ settings: null as GenerateSettings | null });
