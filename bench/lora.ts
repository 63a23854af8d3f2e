/**
 * LoRA merge benchmark on the forged `full` model (SD1.5 sizes): a rank-32 kohya LoRA over the
 * UNet's attention (transformer blocks, proj_in/proj_out) and the whole text encoder, written
 * as fp16 like real LoRAs. Reports merge times and the merged models' memory.
 *   node bin/run-ts.mjs bench/lora.ts [MODEL_DIR]   (default .tmp/forge/full)
 * Writes bench/results/lora.json.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { mergeLoras, type MergedModel } from '../server/engine/lora/merge.ts';
import { loadOnnxComponent } from '../server/engine/lora/onnx-model.ts';
import { randomLora, writeSafetensors, type TargetLayer } from '../tests/helpers/lora-writer.ts';
import { describeMachine } from './machine.ts';

const RANK = 32;
const root = dirname(dirname(fileURLToPath(import.meta.url)));

async function loraLayers(modelDir: string): Promise<TargetLayer[]> {
  const layers: TargetLayer[] = [];
  for (const component of ['unet', 'text_encoder'] as const) {
    const model = await loadOnnxComponent(join(modelDir, component, 'model.onnx'));
    for (const site of model.sites.values()) {
      if (component === 'unet' && !/attentions\.\d+\.(transformer_blocks|proj_in|proj_out)/.test(site.path)) continue;
      const conv = site.opType === 'Conv';
      layers.push({ component, path: site.path, outFeatures: site.outFeatures, inFeatures: conv ? site.dims[1] : site.inFeatures, kernel: conv ? [site.dims[2], site.dims[3]] : undefined });
    }
  }
  return layers;
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const externalBytes = (m: MergedModel) => (m.externalData ?? []).reduce((sum, e) => sum + e.data.byteLength, 0);

export async function run(modelDir = join(root, '.tmp/forge/full')): Promise<unknown> {
  if (!existsSync(join(modelDir, 'unet/model.onnx'))) {
    throw new Error(`no model at ${modelDir}: forge one with  node bin/imagineer.mjs forge --preset full --out ${modelDir}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'lora-bench-'));
  try {
    const layers = await loraLayers(modelDir);
    const lora = randomLora(layers, { format: 'kohya', rank: RANK, alpha: 16, seed: 1, dtype: 'F16', magnitude: 0.05 });
    const file = writeSafetensors(join(work, 'rank32.safetensors'), lora.tensors, { ss_network_dim: String(RANK) });
    const result: Record<string, unknown> = {
      model: resolve(modelDir),
      lora: { rank: RANK, layers: layers.length, unetLayers: layers.filter((l) => l.component === 'unet').length, fileMiB: mib(statSync(file).size) },
    };
    for (const component of ['text_encoder', 'unet'] as const) {
      const path = join(modelDir, component, 'model.onnx');
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let started = performance.now();
      await loadOnnxComponent(path);
      const loadSeconds = (performance.now() - started) / 1000;
      global.gc?.();
      started = performance.now();
      const cpuBefore = process.cpuUsage();
      const merged = await mergeLoras(path, component, [{ name: 'rank32', file, weight: 0.8 }], { strict: true });
      const mergeSeconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const entry: Record<string, unknown> = {
        loadOnlySeconds: +loadSeconds.toFixed(2),
        mergeSeconds: +mergeSeconds.toFixed(2),
        // CPU time is the steadier figure on a shared machine; merge includes reading the model.
        mergeCpuUserSeconds: +(cpu.user / 1e6).toFixed(2),
        mergeCpuSystemSeconds: +(cpu.system / 1e6).toFixed(2),
        matched: `${merged.reports[0].matched}/${merged.reports[0].total}`,
        modelBytesMiB: mib(merged.modelBytes.byteLength),
        externalDataMiB: mib(externalBytes(merged)),
        ownMiB: mib(merged.ownBytes),
        rssGrowthMiB: mib(process.memoryUsage().rss - rssBefore),
      };
      if (component === 'text_encoder') {
        // The UNet takes about a minute to load on this box; the text encoder shows the result runs.
        started = performance.now();
        const session = await ort.InferenceSession.create(merged.modelBytes, { externalData: merged.externalData, graphOptimizationLevel: 'basic' });
        const ids = Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : 49407));
        const wantsInt64 = (session.inputMetadata[0] as { type?: string }).type === 'int64';
        const input = wantsInt64 ? new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 77]) : new ort.Tensor('int32', ids, [1, 77]);
        const out = await session.run({ input_ids: input });
        entry.sessionCreateAndRunSeconds = +((performance.now() - started) / 1000).toFixed(2);
        entry.outputFinite = Array.from(out[session.outputNames[0]].data as Float32Array).every(Number.isFinite);
        await session.release();
      }
      result[component] = entry;
      console.error(component, entry);
    }
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run(process.argv[2]);
  const out = join(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'lora.json'), JSON.stringify({ bench: 'lora', date: new Date().toISOString(), machine: describeMachine(), result }, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}
