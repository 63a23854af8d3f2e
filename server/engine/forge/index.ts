/**
 * The model forge: writes a complete SD1.5-architecture ONNX model folder with seeded weights
 * (tiny, full) or an oracle whose result is known exactly. See ARCHITECTURE.md, "The forge".
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { GraphBuilder } from './graph.ts';
import { readReferenceSchedulerConfig, writeFolderSkeleton, writeJson } from './folder.ts';
import { trainingSigmas } from './noise-schedule.ts';
import {
  buildOracleUNet,
  buildOracleVaeDecoder,
  buildOracleVaeEncoder,
  ORACLE_IMAGE_SIZE,
  ORACLE_LATENT_SIZE,
  oraclePicture,
} from './oracle.ts';
import { fullArchitecture, tinyArchitecture, type Architecture } from './presets.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildUNet, type TimestepForm, type UNetIo } from './unet.ts';
import { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
import { writeModel } from './write-model.ts';

export type ForgePreset = 'tiny' | 'full' | 'oracle';
export const FORGE_PRESETS: readonly ForgePreset[] = ['tiny', 'full', 'oracle'];

export interface ForgeOptions {
  preset: ForgePreset;
  outDir: string;
  /** Same seed → byte-identical files. Default 0. */
  seed?: number;
  /** diffusers: model.onnx (+ weights.pb when needed); optimum: model.onnx + model.onnx_data. */
  layout?: 'diffusers' | 'optimum';
  /** Force external data with the diffusers layout (always on with optimum). */
  externalData?: boolean;
  /** Dtype of the float inputs, outputs, weights and activations (the oracle's UNet and VAE compute in float32). */
  dtype?: 'float32' | 'float16';
  inputIdsType?: 'int32' | 'int64';
  timestep?: TimestepForm;
  unetBatch?: 'dynamic' | 1;
}

export type ForgeComponent = 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder';
export const FORGE_COMPONENTS: readonly ForgeComponent[] = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'];

export interface ForgeReport {
  outDir: string;
  parameters: Record<ForgeComponent, number>;
  bytes: Record<ForgeComponent, number>;
  seconds: number;
}

/** Written as forge.json so tools can tell a forged (demo) model from a real export. */
export interface ForgeManifest {
  forged: true;
  preset: ForgePreset;
  seed: number;
  options: Required<Omit<ForgeOptions, 'outDir' | 'preset' | 'seed'>>;
  parameters: Record<ForgeComponent, number>;
  oracle?: OracleManifest;
}

export interface OracleManifest {
  width: number;
  height: number;
  latentShape: [number, number, number, number];
  /** x0 in scaled latent units (the value the denoising loop must end on), row-major. */
  x0: number[];
  /** The expected 16×16 RGB8 picture before the ×8 nearest upsampling, row-major. */
  rgb16: number[];
  expectedPng: string;
}

/** Beyond this, weights go to an external file even with the diffusers layout (protobuf's limit is 2 GiB, and protobufjs encodes in one buffer). */
const EMBED_LIMIT_BYTES = 1024 ** 3;

type Resolved = Required<ForgeOptions>;

function resolve(options: ForgeOptions): Resolved {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`forge: seed must be an integer in [0, 2^32), got ${seed}`);
  if (!FORGE_PRESETS.includes(options.preset)) throw new RangeError(`forge: unknown preset '${String(options.preset)}'`);
  return {
    preset: options.preset,
    outDir: options.outDir,
    seed,
    layout: options.layout ?? 'diffusers',
    externalData: options.externalData ?? false,
    dtype: options.dtype ?? 'float32',
    inputIdsType: options.inputIdsType ?? (options.layout === 'optimum' ? 'int64' : 'int32'),
    timestep: options.timestep ?? 'float-batch',
    unetBatch: options.unetBatch ?? 'dynamic',
  };
}

function unetIo(o: Resolved): UNetIo {
  return { float: o.dtype, inputIds: o.inputIdsType, timestep: o.timestep, batch: o.unetBatch };
}

/** The graphs of one preset, built but not filled with values. */
function buildGraphs(o: Resolved): Record<ForgeComponent, GraphBuilder> {
  const io = unetIo(o);
  const graph = (build: (g: GraphBuilder) => void, floatType = o.dtype): GraphBuilder => {
    const g = new GraphBuilder(floatType);
    build(g);
    return g;
  };
  const arch: Architecture = o.preset === 'full' ? fullArchitecture : tinyArchitecture;
  const textEncoder = graph((g) => buildTextEncoder(g, arch.textEncoder, io));
  if (o.preset === 'oracle') {
    const sigmas = trainingSigmas(readReferenceSchedulerConfig());
    const { x0 } = oraclePicture();
    // The oracle computes in float32 whatever the I/O dtype: its point is exactness.
    return {
      text_encoder: textEncoder,
      unet: graph((g) => buildOracleUNet(g, io, sigmas, x0, arch.textEncoder.hidden), 'float32'),
      vae_decoder: graph((g) => buildOracleVaeDecoder(g, io), 'float32'),
      vae_encoder: graph((g) => buildOracleVaeEncoder(g, io), 'float32'),
    };
  }
  const unet = { ...arch.unet, crossAttentionDim: arch.textEncoder.hidden };
  return {
    text_encoder: textEncoder,
    unet: graph((g) => buildUNet(g, unet, io)),
    vae_decoder: graph((g) => buildVaeDecoder(g, arch.vae, io)),
    vae_encoder: graph((g) => buildVaeEncoder(g, arch.vae, io)),
  };
}

function mapComponents<T>(f: (c: ForgeComponent) => T): Record<ForgeComponent, T> {
  return Object.fromEntries(FORGE_COMPONENTS.map((c) => [c, f(c)])) as Record<ForgeComponent, T>;
}

/** The graphs of a preset (nodes, initializer shapes and names), without generating any weights. */
export function forgeGraphs(options: Omit<ForgeOptions, 'outDir'>): Record<ForgeComponent, GraphBuilder> {
  return buildGraphs(resolve({ ...options, outDir: '' }));
}

/** Parameter counts of a preset's components, without generating or writing any weights. */
export function countForgeParameters(options: Omit<ForgeOptions, 'outDir'>): Record<ForgeComponent, number> {
  const graphs = forgeGraphs(options);
  return mapComponents((c) => graphs[c].parameterCount());
}

function externalDataFile(o: Resolved, g: GraphBuilder): string | undefined {
  if (o.layout === 'optimum') return 'model.onnx_data';
  const bytesPerValue = o.dtype === 'float16' ? 2 : 4;
  return o.externalData || g.parameterCount() * bytesPerValue > EMBED_LIMIT_BYTES ? 'weights.pb' : undefined;
}

async function writeOracleFiles(outDir: string): Promise<OracleManifest> {
  const { rgb, x0 } = oraclePicture();
  const n = ORACLE_LATENT_SIZE;
  const size = ORACLE_IMAGE_SIZE;
  const expectedPng = 'oracle_expected.png';
  await sharp(upsampleRgb(rgb, n, size / n), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(join(outDir, expectedPng));
  return { width: size, height: size, latentShape: [1, 4, n, n], x0: Array.from(x0), rgb16: Array.from(rgb), expectedPng };
}

function upsampleRgb(rgb: Uint8Array, n: number, factor: number): Uint8Array {
  const size = n * factor;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (Math.floor(y / factor) * n + Math.floor(x / factor)) * 3;
      out.set(rgb.subarray(from, from + 3), (y * size + x) * 3);
    }
  }
  return out;
}

export async function forgeModel(options: ForgeOptions): Promise<ForgeReport> {
  const started = performance.now();
  const o = resolve(options);
  mkdirSync(o.outDir, { recursive: true });
  writeFolderSkeleton(o.outDir);
  const graphs = buildGraphs(o);
  const bytes = mapComponents((component) => {
    const dir = join(o.outDir, component);
    mkdirSync(dir, { recursive: true });
    return writeModel(graphs[component], join(dir, 'model.onnx'), { seed: o.seed, externalDataFile: externalDataFile(o, graphs[component]) });
  });
  const parameters = mapComponents((c) => graphs[c].parameterCount());
  const { outDir: _outDir, preset: _preset, seed: _seed, ...rest } = o;
  const manifest: ForgeManifest = { forged: true, preset: o.preset, seed: o.seed, options: rest, parameters };
  if (o.preset === 'oracle') manifest.oracle = await writeOracleFiles(o.outDir);
  writeJson(join(o.outDir, 'forge.json'), manifest);
  return { outDir: o.outDir, parameters, bytes, seconds: (performance.now() - started) / 1000 };
}

export function readForgeManifest(dir: string): ForgeManifest {
  return JSON.parse(readFileSync(join(dir, 'forge.json'), 'utf8')) as ForgeManifest;
}

/** The picture any correct deterministic pipeline must produce from an oracle folder (RGB8, row-major). */
export function readOracleExpectation(dir: string): { width: number; height: number; pixels: Uint8Array } {
  const oracle = readForgeManifest(dir).oracle;
  if (!oracle) throw new Error(`forge: ${dir} is not an oracle model folder`);
  const n = oracle.latentShape[2];
  return { width: oracle.width, height: oracle.height, pixels: upsampleRgb(Uint8Array.from(oracle.rgb16), n, oracle.width / n) };
}
