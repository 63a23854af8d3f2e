import { writeFileAtomic } from './png.ts';

export interface SidecarLora {
  name: string;
  weight: number;
  hash?: string;
}

interface SidecarFields {
  prompt: string;
  negativePrompt: string;
  /** Decimal string: seeds go up to 2^64 − 1, past what a JSON number keeps exactly. */
  seed: string;
  rng: string;
  steps: number;
  scheduler: string;
  guidanceScale: number;
  width: number;
  height: number;
  model: string;
  /** `full` (the model's VAE) or `tiny` (TAESD). */
  decoder: string;
  loras: SidecarLora[];
  timings: Record<string, number>;
  /** ISO 8601. */
  created: string;
}

/** Everything needed to make an image again; written as JSON next to the PNG. Extra keys (set, item, theme, …) may follow. */
export interface ImageSidecar extends SidecarFields {
  [extra: string]: unknown;
}

export interface SidecarInput extends Omit<SidecarFields, 'seed' | 'created' | 'loras' | 'decoder'> {
  seed: bigint | string;
  /** Default `full`. */
  decoder?: string;
  loras?: SidecarLora[];
  created?: Date;
}

export function buildSidecar(input: SidecarInput, extra: Record<string, unknown> = {}): ImageSidecar {
  const fields: SidecarFields = {
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    seed: String(input.seed),
    rng: input.rng,
    steps: input.steps,
    scheduler: input.scheduler,
    guidanceScale: input.guidanceScale,
    width: input.width,
    height: input.height,
    model: input.model,
    decoder: input.decoder ?? 'full',
    loras: input.loras ?? [],
    timings: input.timings,
    created: (input.created ?? new Date()).toISOString(),
  };
  // Extra keys come after and never replace a generation setting.
  return { ...fields, ...Object.fromEntries(Object.entries(extra).filter(([key]) => !(key in fields))) };
}

/** `out/x.png` → `out/x.json`. */
export function sidecarPathFor(imagePath: string): string {
  return imagePath.replace(/\.png$/i, '') + '.json';
}

export async function writeSidecar(imagePath: string, sidecar: ImageSidecar): Promise<string> {
  const path = sidecarPathFor(imagePath);
  await writeFileAtomic(path, JSON.stringify(sidecar, null, 2) + '\n');
  return path;
}

const schedulerLabels: Record<string, string> = {
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
  euler: 'Euler',
  euler_a: 'Euler a',
  ddim: 'DDIM',
  lcm: 'LCM',
};

/** The AUTOMATIC1111 `parameters` text, so other tools read the settings from the PNG. */
export function a1111Parameters(sidecar: ImageSidecar): string {
  const loraTags = sidecar.loras.map((l) => ` <lora:${l.name}:${l.weight}>`).join('');
  const settings: string[] = [
    `Steps: ${sidecar.steps}`,
    `Sampler: ${schedulerLabels[sidecar.scheduler] ?? sidecar.scheduler}`,
    `CFG scale: ${sidecar.guidanceScale}`,
    `Seed: ${sidecar.seed}`,
    `Size: ${sidecar.width}x${sidecar.height}`,
    `Model: ${sidecar.model}`,
    `RNG: ${sidecar.rng === 'torch' ? 'CPU' : sidecar.rng}`,
  ];
  // AUTOMATIC1111 writes `VAE Decoder: TAESD` when its TAESD decode method made the image.
  if (sidecar.decoder === 'tiny') settings.push('VAE Decoder: TAESD');
  const hashed = sidecar.loras.filter((l) => l.hash);
  if (hashed.length > 0) settings.push(`Lora hashes: "${hashed.map((l) => `${l.name}: ${l.hash}`).join(', ')}"`);
  return `${sidecar.prompt}${loraTags}\nNegative prompt: ${sidecar.negativePrompt}\n${settings.join(', ')}`;
}
