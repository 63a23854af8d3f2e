/**
 * `imagineer models optimize`: a new model folder with int8 (dynamically quantised MatMuls) or fp16-stored weights,
 * in the same export layout, loadable by `loadModel`. The source folder is only read. The result is written next
 * to its final place under a `.partial` name and renamed when complete, so a crash never leaves a half folder.
 */
import { cpSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { loadOnnxComponent, type OnnxComponent } from '../lora/onnx-model.ts';
import { MODEL_FILES } from '../models/model-folder.ts';
import { storeWeightsAsFloat16, type Fp16Report } from './fp16.ts';
import { isFloat16Export } from './graph.ts';
import { quantizeComponentInt8, type Int8Report } from './int8.ts';
import { writeComponent } from './write.ts';

export type OptimizeMethod = 'int8' | 'fp16';
export const OPTIMIZE_METHODS: readonly OptimizeMethod[] = ['int8', 'fp16'];
export const OPTIMIZE_MANIFEST = 'imagineer-optimize.json';

export type OptimizeErrorCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'MODEL_INVALID' | 'UNSUPPORTED';

export class OptimizeError extends Error {
  override name = 'OptimizeError';
  constructor(
    readonly code: OptimizeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** int8 leaves the VAE float32 (its convolutions dominate and image quality is most sensitive there). */
const COMPONENTS: Record<OptimizeMethod, readonly string[]> = {
  int8: ['text_encoder', 'unet'],
  fp16: ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'],
};

const DESCRIPTIONS: Record<OptimizeMethod, string> = {
  int8:
    'dynamic int8 quantisation (as onnxruntime quantize_dynamic): weight MatMul/Gemm of text_encoder and unet → ' +
    'com.microsoft DynamicQuantizeMatMul, int8 weights with symmetric per-column scales, bias Add folded; ' +
    'activations quantised to uint8 at run time; convolutions, attention and the VAE stay float32',
  fp16:
    'weights stored as float16 with a Cast to float32 after each (ORT folds the Casts at load): half the disk size, ' +
    'compute stays float32 on CPU',
};

export interface ComponentReport {
  bytesBefore: number;
  bytesAfter: number;
  int8?: Int8Report;
  fp16?: Fp16Report;
}

export interface OptimizeManifest {
  method: OptimizeMethod;
  description: string;
  source: string;
  /** The source's own origin (hub repo, import, forge), when it recorded one. */
  sourceOrigin?: unknown;
  date: string;
  seconds: number;
  components: Record<string, ComponentReport>;
}

export interface OptimizeOptions {
  source: string;
  out: string;
  method: OptimizeMethod;
  log?: (line: string) => void;
}

function checkSource(source: string): void {
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new OptimizeError('NOT_FOUND', `${source}: no such model folder`);
  const missing = Object.values(MODEL_FILES).filter((file) => !existsSync(join(source, file)));
  if (missing.length) {
    throw new OptimizeError('MODEL_INVALID', `${source} is not a Stable Diffusion 1.5 ONNX export: missing ${missing.join(', ')}`);
  }
  if (existsSync(join(source, OPTIMIZE_MANIFEST))) {
    const { method } = JSON.parse(readFileSync(join(source, OPTIMIZE_MANIFEST), 'utf8')) as { method?: string };
    throw new OptimizeError('UNSUPPORTED', `${source} is already optimized (${method ?? 'unknown'}); optimize the original fp32 folder`);
  }
}

function checkOut(source: string, out: string): void {
  if (existsSync(out)) throw new OptimizeError('ALREADY_EXISTS', `${out} already exists; pick another --out (nothing is overwritten)`);
  if (out === source || out.startsWith(source + sep)) throw new OptimizeError('ALREADY_EXISTS', `--out must lie outside the source folder ${source}`);
}

function fileBytes(dir: string, component: OnnxComponent): number {
  const locations = [...component.externalFiles.keys()].map((location) => join(dir, location));
  return [component.file, ...locations].reduce((sum, file) => sum + statSync(file).size, 0);
}

function rewrite(component: OnnxComponent, method: OptimizeMethod, name: string): Pick<ComponentReport, 'int8' | 'fp16'> {
  if (isFloat16Export(component)) {
    throw new OptimizeError(
      'UNSUPPORTED',
      method === 'fp16'
        ? `${name} is already an fp16 export`
        : `${name} is an fp16 export; int8 quantisation needs the float32 export (DynamicQuantizeMatMul takes float32 activations)`,
    );
  }
  return method === 'int8' ? { int8: quantizeComponentInt8(component) } : { fp16: storeWeightsAsFloat16(component) };
}

function readOrigin(source: string): unknown {
  for (const file of ['imagineer-source.json', 'forge.json']) {
    if (!existsSync(join(source, file))) continue;
    const parsed = JSON.parse(readFileSync(join(source, file), 'utf8')) as Record<string, unknown>;
    return file === 'forge.json' ? { forged: true, preset: parsed.preset, seed: parsed.seed } : parsed;
  }
  return undefined;
}

export async function optimizeModel(options: OptimizeOptions): Promise<OptimizeManifest> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const source = resolve(options.source);
  const out = resolve(options.out);
  checkSource(source);
  checkOut(source, out);
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const components = COMPONENTS[options.method].filter((name) => existsSync(join(source, name, 'model.onnx')));
  try {
    // Everything but the ONNX files being rewritten (and their weights) is copied as is; a pulled model's
    // source record is left out so the new folder is not mistaken for the hub download.
    const rewritten = new Set(components);
    cpSync(source, partial, {
      recursive: true,
      filter: (path) => {
        const rel = relative(source, path);
        if (rel === 'imagineer-source.json' || path.endsWith('.partial')) return false;
        const [top, file] = rel.split(sep);
        return !(rewritten.has(top) && file !== undefined);
      },
    });
    const reports: Record<string, ComponentReport> = {};
    for (const name of components) {
      const componentStarted = performance.now();
      const component = await loadOnnxComponent(join(source, name, 'model.onnx'));
      const bytesBefore = fileBytes(join(source, name), component);
      const report = rewrite(component, options.method, name);
      const bytesAfter = writeComponent(component, join(partial, name));
      reports[name] = { bytesBefore, bytesAfter, ...report };
      log(`${name}: ${mib(bytesBefore)} → ${mib(bytesAfter)} in ${((performance.now() - componentStarted) / 1000).toFixed(1)} s`);
    }
    const manifest: OptimizeManifest = {
      method: options.method,
      description: DESCRIPTIONS[options.method],
      source,
      sourceOrigin: readOrigin(source),
      date: new Date().toISOString(),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      components: reports,
    };
    writeFileSync(join(partial, OPTIMIZE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(partial, out);
    return manifest;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

/** The folder name `models optimize` picks when no --out is given: `<name>-int8` next to the source. */
export function defaultOutDir(source: string, method: OptimizeMethod): string {
  return join(dirname(resolve(source)), `${basename(resolve(source))}-${method}`);
}

export function readOptimizeManifest(dir: string): OptimizeManifest | undefined {
  const file = join(dir, OPTIMIZE_MANIFEST);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as OptimizeManifest) : undefined;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
