/**
 * Test support for merges against forged tiny models: the model's LoRA-able layers read
 * straight from the protobuf, and a reference merge that patches the initializers with its
 * own plain code (double precision, naive loops) and writes a self-contained model file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll } from 'vitest';
import { forgeModel, type ForgeOptions } from '../../../server/engine/forge/index.ts';
import { onnx } from '../../../server/engine/forge/onnx.ts';
import type { GeneratedLayer, TargetLayer } from '../../helpers/lora-writer.ts';

type Model = InstanceType<typeof onnx.ModelProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

const cache = new Map<string, Promise<string>>();
const created: string[] = [];
afterAll(() => created.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A temporary folder removed after the test file's tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Forges (once per variant and process) a tiny model folder. */
export function tinyModel(variant: Omit<ForgeOptions, 'outDir' | 'preset'> = {}): Promise<string> {
  const key = JSON.stringify(variant);
  let ready = cache.get(key);
  if (!ready) {
    const outDir = scratchDir('lora-tiny-');
    ready = forgeModel({ preset: 'tiny', outDir, seed: 5, ...variant }).then(() => outDir);
    cache.set(key, ready);
  }
  return ready;
}

interface WeightRef {
  node: string;
  op: string;
  tensor: Tensor;
  dims: number[];
}

/** Layers whose weight a LoRA can change: node `/a/b/MatMul|Gemm|Conv` with a (possibly Cast) initializer. */
function weightRefs(model: Model): Map<string, WeightRef> {
  const inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t as Tensor]));
  const castFrom = new Map<string, string>();
  for (const n of model.graph!.node!) if (n.opType === 'Cast') castFrom.set(n.output![0], n.input![0]);
  const refs = new Map<string, WeightRef>();
  for (const n of model.graph!.node!) {
    const m = /^\/(.+)\/(MatMul|Gemm|Conv)$/.exec(n.name!);
    if (!m) continue;
    const input = n.input![1];
    const tensor = inits.get(input) ?? inits.get(castFrom.get(input) ?? '');
    if (!tensor) continue;
    refs.set(m[1].split('/').join('.'), { node: n.name!, op: n.opType!, tensor, dims: tensor.dims!.map(Number) });
  }
  return refs;
}

export function loadModel(path: string): Model {
  return onnx.ModelProto.decode(readFileSync(path)) as Model;
}

export function targetLayers(modelPath: string, component: 'unet' | 'text_encoder', filter: (path: string) => boolean = () => true): TargetLayer[] {
  const layers: TargetLayer[] = [];
  for (const [path, ref] of weightRefs(loadModel(modelPath))) {
    if (!filter(path)) continue;
    const d = ref.dims;
    if (ref.op === 'MatMul') layers.push({ component, path, inFeatures: d[0], outFeatures: d[1] });
    else if (ref.op === 'Gemm') layers.push({ component, path, outFeatures: d[0], inFeatures: d[1] });
    else layers.push({ component, path, outFeatures: d[0], inFeatures: d[1], kernel: [d[2], d[3]] });
  }
  return layers;
}

function halfToNumber(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Nearest half (ties to even), by exact arithmetic on the half's quantum; finite inputs within range. */
function numberToHalf(v: number): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  const exponent = Math.max(-14, Math.floor(Math.log2(a || 1)));
  const quantum = 2 ** (exponent - 10);
  let q = a / quantum;
  const floor = Math.floor(q);
  q = q - floor > 0.5 || (q - floor === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const value = q * quantum;
  if (value === 0) return sign;
  const e = Math.floor(Math.log2(value));
  if (e < -14) return sign | Math.round(value / 2 ** -24);
  return sign | ((e + 15) << 10) | Math.round((value / 2 ** e - 1) * 1024);
}

function readValues(tensor: Tensor, modelDir: string): Float64Array {
  let bytes: Uint8Array = tensor.rawData;
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entry = (k: string) => tensor.externalData.find((e) => e.key === k)?.value;
    const file = readFileSync(join(modelDir, entry('location')!));
    const offset = Number(entry('offset') ?? 0);
    bytes = file.subarray(offset, offset + Number(entry('length')));
  }
  const copy = Uint8Array.from(bytes);
  if (tensor.dataType === onnx.TensorProto.DataType.FLOAT) return Float64Array.from(new Float32Array(copy.buffer));
  return Float64Array.from(new Uint16Array(copy.buffer), halfToNumber);
}

function writeValues(tensor: Tensor, values: Float64Array): void {
  const data = tensor.dataType === onnx.TensorProto.DataType.FLOAT ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(Uint16Array.from(values, numberToHalf).buffer);
  tensor.rawData = data;
  tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  tensor.externalData = [];
}

export interface ReferenceUpdate {
  generated: GeneratedLayer;
  /** weight · alpha / rank. */
  scale: number;
}

/** W + Σ scale·up·down per layer (torch orientation [out, in·kh·kw]), stored in the model's layout; all data written inline. */
export function referenceMerge(modelPath: string, updates: ReferenceUpdate[]): string {
  const model = loadModel(modelPath);
  const refs = weightRefs(model);
  const values = new Map<Tensor, Float64Array>();
  for (const { generated, scale } of updates) {
    const { layer, up, down, rank } = generated;
    const ref = refs.get(layer.path);
    if (!ref) throw new Error(`reference: no layer ${layer.path}`);
    let w = values.get(ref.tensor);
    if (!w) values.set(ref.tensor, (w = readValues(ref.tensor, dirname(modelPath))));
    const out = layer.outFeatures;
    const inner = down.length / rank;
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0;
        for (let k = 0; k < rank; k++) sum += up[o * rank + k] * down[k * inner + i];
        const index = ref.op === 'MatMul' ? i * out + o : o * inner + i;
        w[index] += scale * sum;
      }
    }
  }
  for (const tensor of model.graph!.initializer! as Tensor[]) {
    const patched = values.get(tensor);
    if (patched) writeValues(tensor, patched);
    else if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) writeValues(tensor, readValues(tensor, dirname(modelPath)));
  }
  const file = join(scratchDir('lora-ref-'), 'model.onnx');
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}

/** Each LoRA-able layer's weight values (in storage order), by module path. */
export function layerWeights(modelPath: string): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [path, ref] of weightRefs(loadModel(modelPath))) out.set(path, readValues(ref.tensor, dirname(modelPath)));
  return out;
}

function pattern(n: number, phase: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase));
}

function floatInput(type: string, values: Float32Array, dims: number[]): ort.Tensor {
  if (type === 'float16') return new ort.Tensor('float16', Uint16Array.from(values, numberToHalf), dims);
  return new ort.Tensor('float32', values, dims);
}

function outputValues(t: ort.Tensor): Float32Array {
  return t.type === 'float16' ? Float32Array.from(t.data as Uint16Array, halfToNumber) : (t.data as Float32Array);
}

export type SessionSource = string | { modelBytes: Uint8Array; externalData?: { path: string; data: Uint8Array }[] };

/** Runs a UNet or text encoder on fixed inputs; returns the first output as float32. */
export async function runComponent(source: SessionSource, component: 'unet' | 'text_encoder'): Promise<Float32Array> {
  const session =
    typeof source === 'string' ? await ort.InferenceSession.create(source) : await ort.InferenceSession.create(source.modelBytes, { externalData: source.externalData });
  try {
    return await runSession(session, component);
  } finally {
    await session.release();
  }
}

export async function runSession(session: ort.InferenceSession, component: 'unet' | 'text_encoder'): Promise<Float32Array> {
  const type = (name: string) => (session.inputMetadata.find((m) => m.name === name) as { type: string }).type;
  let feeds: Record<string, ort.Tensor>;
  if (component === 'unet') {
    feeds = {
      sample: floatInput(type('sample'), pattern(4 * 8 * 8, 0), [1, 4, 8, 8]),
      timestep: floatInput(type('timestep'), Float32Array.of(500), [1]),
      encoder_hidden_states: floatInput(type('encoder_hidden_states'), pattern(77 * 32, 1), [1, 77, 32]),
    };
  } else {
    const ids = Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i < 6 ? 320 + i * 7 : 49407));
    feeds = { input_ids: type('input_ids') === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 77]) : new ort.Tensor('int32', Int32Array.from(ids), [1, 77]) };
  }
  const result = await session.run(feeds);
  return Float32Array.from(outputValues(result[session.outputNames[0]]));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error('length mismatch');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The attention layers of a forged model's UNet and text encoder: what the LoRA fixtures of the engine tests patch. */
export function attentionLayers(modelDir: string): TargetLayer[] {
  const attention = (path: string) => /attn|self_attn/.test(path);
  return [
    ...targetLayers(join(modelDir, 'unet', 'model.onnx'), 'unet', attention),
    ...targetLayers(join(modelDir, 'text_encoder', 'model.onnx'), 'text_encoder', attention),
  ];
}
