/** Settings read back from an AUTOMATIC1111 `parameters` text (ours or A1111's own). */
export interface A1111Settings {
  /** The prompt without its `<lora:name:weight>` tags (those are in `loras`). */
  prompt: string;
  negativePrompt: string;
  steps?: number;
  /** As written, e.g. `DPM++ 2M Karras`. */
  sampler?: string;
  /** Our scheduler name for `sampler` (+ `Schedule type`), when we have one. */
  scheduler?: string;
  cfgScale?: number;
  /** Decimal string: seeds go past what a JSON number keeps exactly. */
  seed?: string;
  width?: number;
  height?: number;
  model?: string;
  modelHash?: string;
  /** `tiny` when the image was decoded by TAESD (`VAE Decoder: TAESD`), else absent. */
  decoder?: 'tiny';
  loras: { name: string; weight: number; hash?: string }[];
  /** Every `Key: value` of the settings line, unquoted. */
  settings: Record<string, string>;
}

const SCHEDULERS: Record<string, string> = {
  'DPM++ 2M': 'dpmpp_2m',
  'DPM++ 2M Karras': 'dpmpp_2m_karras',
  Euler: 'euler',
  'Euler a': 'euler_a',
  DDIM: 'ddim',
  LCM: 'lcm',
};

const NEGATIVE_PREFIX = 'Negative prompt:';
const LORA_TAG = /<lora:([^:>]+):([^:>]+)(?::[^>]*)?>/g;

/** `Key: value, Key: "quoted, value", …` → entries; null when the line is not a settings line. */
function splitSettings(line: string): Record<string, string> | null {
  const settings: Record<string, string> = {};
  const pair = /\s*(\w[\w \-/+().]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/y;
  let count = 0;
  while (pair.lastIndex < line.length) {
    const match = pair.exec(line);
    if (!match) return count >= 2 ? settings : null;
    const raw = match[2].trim();
    settings[match[1]] = raw.startsWith('"') ? unquote(raw) : raw;
    count++;
    if (match[0].length === 0) break;
  }
  return count >= 2 ? settings : null;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

function finiteNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** `a: 1234, b: 5678` (the `Lora hashes` value) → name → hash. */
function loraHashes(value: string | undefined): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const colon = part.lastIndexOf(':');
    if (colon > 0) hashes.set(part.slice(0, colon).trim(), part.slice(colon + 1).trim());
  }
  return hashes;
}

/**
 * Parses the A1111 `parameters` text: prompt lines, then `Negative prompt:` lines, then one settings line
 * (`Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model: x, Lora hashes: "a: 123"`).
 * Never throws: text that is not in this format comes back as the prompt.
 */
export function parseA1111Parameters(text: string): A1111Settings {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let settings: Record<string, string> = {};
  const last = lines.at(-1) ?? '';
  const parsedLast = lines.length > 1 || /^Steps:/.test(last) ? splitSettings(last) : null;
  if (parsedLast) {
    settings = parsedLast;
    lines.pop();
  }
  const negativeAt = lines.findIndex((line) => line.startsWith(NEGATIVE_PREFIX));
  const promptLines = negativeAt < 0 ? lines : lines.slice(0, negativeAt);
  const negativeLines = negativeAt < 0 ? [] : [lines[negativeAt].slice(NEGATIVE_PREFIX.length).trimStart(), ...lines.slice(negativeAt + 1)];

  const rawPrompt = promptLines.join('\n');
  const hashes = loraHashes(settings['Lora hashes']);
  const loras = [...rawPrompt.matchAll(LORA_TAG)].map((m) => {
    const name = m[1].trim();
    const hash = hashes.get(name);
    return { name, weight: finiteNumber(m[2]) ?? 1, ...(hash ? { hash } : {}) };
  });
  const size = /^(\d+)\s*x\s*(\d+)$/.exec(settings.Size ?? '');
  const sampler = settings.Sampler;
  const karras = settings['Schedule type'] === 'Karras' && sampler && !sampler.endsWith('Karras') ? `${sampler} Karras` : sampler;
  const seed = settings.Seed && /^-?\d+$/.test(settings.Seed) ? settings.Seed : undefined;

  const result: A1111Settings = {
    prompt: rawPrompt.replace(LORA_TAG, '').replace(/[ \t]+$/gm, '').trim(),
    negativePrompt: negativeLines.join('\n').trim(),
    loras,
    settings,
  };
  const steps = finiteNumber(settings.Steps);
  if (steps !== undefined) result.steps = steps;
  if (sampler) result.sampler = sampler;
  if (karras && SCHEDULERS[karras]) result.scheduler = SCHEDULERS[karras];
  const cfg = finiteNumber(settings['CFG scale']);
  if (cfg !== undefined) result.cfgScale = cfg;
  if (seed) result.seed = seed;
  if (size) {
    result.width = Number(size[1]);
    result.height = Number(size[2]);
  }
  if (settings.Model) result.model = settings.Model;
  if (settings['Model hash']) result.modelHash = settings['Model hash'];
  if (settings['VAE Decoder'] === 'TAESD') result.decoder = 'tiny';
  return result;
}
