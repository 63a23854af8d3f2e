/**
 * Reads an exported component (UNet or text encoder) for merging: decodes the protobuf, loads
 * its external data files, and indexes the layers a LoRA can patch by module path, found
 * from the node names torch.onnx.export writes (`/down_blocks.0/…/to_q/MatMul` → module
 * `down_blocks.0.….to_q`).
 */
import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { float16ToFloat32, float32ToFloat16 } from '../models/fp16.ts';
import { LoraError } from './errors.ts';

export const onnx = onnxProto.onnx;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ModelProto = onnxProto.onnx.ModelProto;
const { DataType, DataLocation } = onnx.TensorProto;

/**
 * How a layer's weight is stored: `in_out` for MatMul (torch's Linear weight transposed),
 * `out_in` for Gemm with transB=1 and for Conv ([out, in, kh, kw] flattened to [out, in·kh·kw]).
 */
export type WeightLayout = 'in_out' | 'out_in';

export interface WeightSite {
  path: string;
  nodeName: string;
  opType: 'MatMul' | 'Gemm' | 'Conv';
  initializer: string;
  dims: number[];
  layout: WeightLayout;
  /** Output features and flattened input features of the equivalent torch weight. */
  outFeatures: number;
  inFeatures: number;
}

export interface OnnxComponent {
  file: string;
  /** The model file as read (initializer data inside `proto` are views into it). */
  bytes: Uint8Array;
  proto: ModelProto;
  initializers: Map<string, TensorProto>;
  sites: Map<string, WeightSite>;
  /** External data files by their location string in the model, loaded whole. */
  externalFiles: Map<string, Uint8Array>;
}

const NODE_NAME = /^\/(.+)\/(MatMul|Gemm|Conv)(?:_\d+)?$/;

export function toNumber(value: number | { toString(): string } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value.toString());
}

function modelInvalid(file: string, problem: string): LoraError {
  return new LoraError('LORA_INVALID', `${basename(file)}: ${problem}`, file);
}

export async function loadOnnxComponent(file: string): Promise<OnnxComponent> {
  const bytes = await readWholeFile(file);
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw modelInvalid(file, `not an ONNX model (${(error as Error).message})`);
  }
  const graph = proto.graph;
  if (!graph) throw modelInvalid(file, 'the model has no graph');
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer ?? []) initializers.set(tensor.name ?? '', tensor);
  const externalFiles = new Map<string, Uint8Array>();
  for (const tensor of initializers.values()) {
    if (tensor.dataLocation !== DataLocation.EXTERNAL) continue;
    const location = externalEntry(tensor, 'location');
    if (!location || externalFiles.has(location)) continue;
    const folder = dirname(resolve(file));
    const path = resolve(folder, location);
    if (!path.startsWith(folder + sep)) {
      throw modelInvalid(file, `external data ${location} lies outside the model folder`);
    }
    externalFiles.set(location, await readSharedFile(path));
  }
  return { file, bytes, proto, initializers, sites: indexSites(graph, initializers), externalFiles };
}

function indexSites(graph: onnxProto.onnx.IGraphProto, initializers: Map<string, TensorProto>): Map<string, WeightSite> {
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const output of node.output ?? []) producers.set(output, node);
  // Follow a Cast (fp16 weights cast to float for float kernels) back to its initializer.
  const weightOf = (input: string | undefined): TensorProto | undefined => {
    if (!input) return undefined;
    const direct = initializers.get(input);
    if (direct) return direct;
    const producer = producers.get(input);
    if (producer?.opType === 'Cast') return initializers.get(producer.input?.[0] ?? '');
    return undefined;
  };
  const sites = new Map<string, WeightSite>();
  const ambiguous = new Set<string>();
  for (const node of graph.node ?? []) {
    const match = NODE_NAME.exec(node.name ?? '');
    if (!match) continue;
    const opType = node.opType as WeightSite['opType'];
    if (opType !== match[2]) continue;
    const weight = weightOf(node.input?.[1]);
    if (!weight || !isFloatTensor(weight)) continue;
    const dims = (weight.dims ?? []).map(toNumber);
    const site = describeSite(match[1].split('/').join('.'), node, weight.name ?? '', dims);
    if (!site) continue;
    if (sites.has(site.path)) ambiguous.add(site.path);
    sites.set(site.path, site);
  }
  for (const path of ambiguous) sites.delete(path);
  return sites;
}

function describeSite(path: string, node: onnxProto.onnx.INodeProto, initializer: string, dims: number[]): WeightSite | undefined {
  const base = { path, nodeName: node.name ?? '', initializer, dims };
  if (node.opType === 'MatMul' && dims.length === 2) {
    return { ...base, opType: 'MatMul', layout: 'in_out', inFeatures: dims[0], outFeatures: dims[1] };
  }
  if (node.opType === 'Gemm' && dims.length === 2) {
    const transB = toNumber(node.attribute?.find((a) => a.name === 'transB')?.i);
    return transB
      ? { ...base, opType: 'Gemm', layout: 'out_in', outFeatures: dims[0], inFeatures: dims[1] }
      : { ...base, opType: 'Gemm', layout: 'in_out', inFeatures: dims[0], outFeatures: dims[1] };
  }
  if (node.opType === 'Conv' && dims.length >= 3) {
    const group = toNumber(node.attribute?.find((a) => a.name === 'group')?.i ?? 1);
    if (group !== 1) return undefined;
    return { ...base, opType: 'Conv', layout: 'out_in', outFeatures: dims[0], inFeatures: dims.slice(1).reduce((a, b) => a * b, 1) };
  }
  return undefined;
}

function isFloatTensor(tensor: TensorProto): boolean {
  return tensor.dataType === DataType.FLOAT || tensor.dataType === DataType.FLOAT16;
}

function externalEntry(tensor: TensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/** The raw little-endian bytes of an initializer, wherever they are stored. */
export function tensorBytes(component: OnnxComponent, tensor: TensorProto): Uint8Array | undefined {
  if (tensor.dataLocation === DataLocation.EXTERNAL) {
    const location = externalEntry(tensor, 'location') ?? '';
    const data = component.externalFiles.get(location);
    if (!data) throw modelInvalid(component.file, `external data ${location} of ${tensor.name} is missing`);
    const offset = Number(externalEntry(tensor, 'offset') ?? 0);
    const length = Number(externalEntry(tensor, 'length') ?? data.byteLength - offset);
    if (offset + length > data.byteLength) throw modelInvalid(component.file, `external data of ${tensor.name} runs past the end of ${location}`);
    return data.subarray(offset, offset + length);
  }
  return tensor.rawData && tensor.rawData.byteLength > 0 ? tensor.rawData : undefined;
}

export function elementCount(tensor: TensorProto): number {
  return (tensor.dims ?? []).map(toNumber).reduce((a, b) => a * b, 1);
}

/** An initializer's values as float32 (a fresh copy, safe to modify), optionally written into `into`. */
export function readWeight(component: OnnxComponent, tensor: TensorProto, into?: Float32Array): Float32Array {
  const count = elementCount(tensor);
  const bytes = tensorBytes(component, tensor);
  if (tensor.dataType === DataType.FLOAT) {
    const out = into ?? new Float32Array(count);
    if (bytes) new Uint8Array(out.buffer, out.byteOffset, count * 4).set(bytes.subarray(0, count * 4));
    else out.set(tensor.floatData ?? []);
    return out;
  }
  if (bytes) {
    const halves = new Uint16Array(count);
    new Uint8Array(halves.buffer).set(bytes.subarray(0, count * 2));
    return float16ToFloat32(halves);
  }
  // fp16 values stored one per int32_data entry (low 16 bits).
  return float16ToFloat32(Uint16Array.from(tensor.int32Data ?? []));
}

/** The bytes to store for `values` in the tensor's own element type. */
export function encodeWeight(tensor: TensorProto, values: Float32Array): Uint8Array {
  if (tensor.dataType === DataType.FLOAT) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const halves = float32ToFloat16(values);
  return new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
}

const sharedFiles = new Map<string, WeakRef<Uint8Array>>();

/**
 * Reads a whole external data file, sharing one buffer among all merged models of the same
 * model while any of them is alive (the unpatched weights are the same bytes for all).
 */
async function readSharedFile(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  const existing = sharedFiles.get(key)?.deref();
  if (existing) return existing;
  const data = await readWholeFile(path);
  sharedFiles.set(key, new WeakRef(data));
  return data;
}

/** fs.readFile stops at 2 GB; weight files are larger, so read them in chunks. */
async function readWholeFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new LoraError('NOT_FOUND', `${path}: no such model file`, path);
    throw error;
  });
  try {
    const { size } = await handle.stat();
    const data = Buffer.allocUnsafe(size);
    const chunk = 1 << 30;
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(data, done, Math.min(chunk, size - done), done);
      if (bytesRead === 0) throw modelInvalid(path, 'file ended early while reading');
      done += bytesRead;
    }
    return data;
  } finally {
    await handle.close();
  }
}
