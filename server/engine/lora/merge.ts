/**
 * Weighted multi-LoRA merge into one exported component: W' = W + Σ wᵢ·sᵢ·upᵢ·downᵢ with
 * sᵢ = alphaᵢ / rankᵢ. Every LoRA is checked (format, base model, key matching, shapes)
 * before any weight is touched; the result is a new in-memory model, the file on disk is
 * never written.
 */
import { basename } from 'node:path';
import { detectBaseModel } from './base-model.ts';
import { LoraError } from './errors.ts';
import { groupLayers, type LoraComponent, type LoraLayerRef } from './formats.ts';
import { addLowRank } from './low-rank.ts';
import { ModuleResolver } from './module-paths.ts';
import { elementCount, encodeWeight, loadOnnxComponent, onnx, readWeight, type OnnxComponent, type TensorProto, type WeightSite } from './onnx-model.ts';
import { SafetensorsFile } from './safetensors.ts';

export interface LoraRequest {
  /** Shown in reports and errors (the library name). */
  name: string;
  file: string;
  weight: number;
}

export interface LoraReport {
  name: string;
  weight: number;
  /** Layers of this component that matched a layer of the model. */
  matched: number;
  /** Layers meant for this component, plus keys that belong to no component. */
  total: number;
  /** Up to 10 of the keys that matched nothing. */
  unmatchedKeys: string[];
  warnings: string[];
}

export interface MergedModel {
  /** Usable directly: `InferenceSession.create(modelBytes, { externalData })`. */
  modelBytes: Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
  reports: LoraReport[];
  /**
   * Bytes held by this merged model alone: the model protobuf and the patched weights. The
   * unpatched external weight files are shared by all merged models of the same base model.
   */
  ownBytes: number;
}

export interface MergeOptions {
  /** A key that matches no layer is an error instead of a warning. */
  strict: boolean;
}

interface MatchedLayer {
  layer: LoraLayerRef;
  site: WeightSite;
  scale: number;
}

interface LoraPlan {
  request: LoraRequest;
  file: SafetensorsFile;
  matched: MatchedLayer[];
  report: LoraReport;
}

const MAX_LISTED_KEYS = 10;
/** Name of the in-memory file that holds patched weights of models with external data. */
const PATCHED_DATA_FILE = 'lora_merged_weights.bin';

export async function mergeLoras(
  componentOnnxPath: string,
  component: LoraComponent,
  loras: LoraRequest[],
  options: MergeOptions,
): Promise<MergedModel> {
  const model = await loadOnnxComponent(componentOnnxPath);
  const resolver = new ModuleResolver(model.sites.keys(), component);
  const files: SafetensorsFile[] = [];
  try {
    const plans: LoraPlan[] = [];
    for (const request of loras) {
      const file = await SafetensorsFile.open(request.file);
      files.push(file);
      plans.push(await planLora(request, file, model, component, resolver, options));
    }
    const patches = preparePatches(model, plans);
    for (const plan of plans) await applyPlan(plan, patches);
    return buildMergedModel(model, patches, plans.map((p) => p.report));
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

async function planLora(
  request: LoraRequest,
  file: SafetensorsFile,
  model: OnnxComponent,
  component: LoraComponent,
  resolver: ModuleResolver,
  options: MergeOptions,
): Promise<LoraPlan> {
  if (!Number.isFinite(request.weight)) throw new LoraError('BAD_USER_INPUT', `LoRA ${request.name}: weight ${request.weight} is not a number`);
  const layout = groupLayers(file.file, file.tensors);
  const evidence = detectBaseModel(layout, file.metadata);
  if (evidence.base === 'sdxl' || evidence.base === 'sd2') {
    throw new LoraError('LORA_INCOMPATIBLE', `LoRA ${request.name}: ${evidence.reason}; the model is SD1.5`, request.file);
  }
  const matched: MatchedLayer[] = [];
  const unmatched: string[] = [...layout.unrecognized];
  let total = layout.unrecognized.length;
  for (const layer of layout.layers) {
    if (layer.owner !== component && layer.owner !== 'unknown') continue;
    total += 1;
    const path = layer.owner === component ? resolver.resolve(layer) : undefined;
    const site = path === undefined ? undefined : model.sites.get(path);
    if (!site) {
      unmatched.push(layer.key);
      continue;
    }
    checkShapes(request, layer, site);
    matched.push({ layer, site, scale: (await readAlpha(file, layer)) / layer.rank });
  }
  const report: LoraReport = {
    name: request.name,
    weight: request.weight,
    matched: matched.length,
    total,
    unmatchedKeys: unmatched.slice(0, MAX_LISTED_KEYS),
    warnings: [],
  };
  if (unmatched.length > 0) {
    const listed = unmatched.slice(0, MAX_LISTED_KEYS).join(', ');
    const more = unmatched.length > MAX_LISTED_KEYS ? ` and ${unmatched.length - MAX_LISTED_KEYS} more` : '';
    const message = `LoRA ${request.name}: ${unmatched.length} of ${total} ${component} keys match no layer of the model: ${listed}${more}`;
    if (options.strict) throw new LoraError('LORA_UNMATCHED', message, request.file);
    report.warnings.push(message);
  }
  return { request, file, matched, report };
}

async function readAlpha(file: SafetensorsFile, layer: LoraLayerRef): Promise<number> {
  if (!layer.alphaKey) return layer.rank;
  const values = await file.readFloat32(layer.alphaKey);
  const alpha = values[0];
  if (values.length !== 1 || !Number.isFinite(alpha)) {
    throw new LoraError('LORA_INVALID', `${basename(file.file)}: ${layer.alphaKey} is not a single finite number`, file.file);
  }
  return alpha;
}

/** The LoRA's update and the model's weight must have the same torch shape ([out, in, kh, kw]). */
function checkShapes(request: LoraRequest, layer: LoraLayerRef, site: WeightSite): void {
  const torchShape = site.layout === 'in_out' ? [site.dims[1], site.dims[0]] : site.dims;
  const inner = layer.downShape.slice(1);
  const kernelIsUnit = (dims: number[]) => dims.every((d) => d === 1);
  const updateShape = [layer.upShape[0], ...inner];
  let fits = layer.upShape[0] === torchShape[0];
  if (fits) {
    if (site.opType === 'Conv') {
      const modelInner = torchShape.slice(1);
      fits = inner.length === 1 ? kernelIsUnit(modelInner.slice(1)) && inner[0] === modelInner[0] : inner.join() === modelInner.join();
    } else {
      fits = inner[0] === torchShape[1] && kernelIsUnit(inner.slice(1));
    }
  }
  if (!fits) {
    throw new LoraError(
      'LORA_INCOMPATIBLE',
      `LoRA ${request.name}: layer ${site.path} (${layer.key}): the LoRA's update is [${updateShape.join(', ')}] but the model's weight is [${torchShape.join(', ')}]`,
      request.file,
    );
  }
}

/**
 * Working copies of the weights the plans change. Weights stored externally get a slot in one
 * new external data buffer; float32 ones are patched in place there, so the merged model does
 * not hold a second copy of them.
 */
interface PatchedWeights {
  values: Map<string, Float32Array>;
  /** The new external data file and each externally stored tensor's offset in it. */
  external?: { data: Uint8Array; offsets: Map<string, number> };
}

function preparePatches(model: OnnxComponent, plans: LoraPlan[]): PatchedWeights {
  const names = new Set<string>();
  for (const plan of plans) if (plan.request.weight !== 0) for (const { site } of plan.matched) names.add(site.initializer);
  const offsets = new Map<string, number>();
  let size = 0;
  for (const name of names) {
    const tensor = model.initializers.get(name)!;
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    offsets.set(name, size);
    const bytesPerValue = tensor.dataType === onnx.TensorProto.DataType.FLOAT ? 4 : 2;
    size += Math.ceil((elementCount(tensor) * bytesPerValue) / 64) * 64;
  }
  const data = offsets.size > 0 ? new Uint8Array(size) : undefined;
  const values = new Map<string, Float32Array>();
  for (const name of names) {
    const tensor = model.initializers.get(name)!;
    const offset = offsets.get(name);
    const inPlace = data && offset !== undefined && tensor.dataType === onnx.TensorProto.DataType.FLOAT;
    values.set(name, readWeight(model, tensor, inPlace ? new Float32Array(data.buffer, offset, elementCount(tensor)) : undefined));
  }
  return { values, external: data ? { data, offsets } : undefined };
}

async function applyPlan(plan: LoraPlan, patches: PatchedWeights): Promise<void> {
  if (plan.request.weight === 0) return;
  for (const { layer, site, scale } of plan.matched) {
    const [down, up] = [await plan.file.readFloat32(layer.downKey), await plan.file.readFloat32(layer.upKey)];
    const pair = { up, down, outFeatures: site.outFeatures, inFeatures: site.inFeatures, rank: layer.rank };
    addLowRank(patches.values.get(site.initializer)!, site.layout, pair, plan.request.weight * scale);
  }
}

function buildMergedModel(model: OnnxComponent, patches: PatchedWeights, reports: LoraReport[]): MergedModel {
  const external = [...model.externalFiles].map(([path, data]) => ({ path, data }));
  if (patches.values.size === 0) {
    return { modelBytes: model.bytes, externalData: external.length ? external : undefined, reports, ownBytes: 0 };
  }
  const initializers = (model.proto.graph!.initializer ?? []).map((tensor): TensorProto => {
    const name = tensor.name ?? '';
    const values = patches.values.get(name);
    if (!values) return tensor;
    const base = { name: tensor.name, dims: tensor.dims, dataType: tensor.dataType };
    const offset = patches.external?.offsets.get(name);
    if (offset === undefined) return onnx.TensorProto.create({ ...base, rawData: encodeWeight(tensor, values) });
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) patches.external!.data.set(encodeWeight(tensor, values), offset);
    return onnx.TensorProto.create({
      ...base,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: PATCHED_DATA_FILE },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(elementCount(tensor) * (tensor.dataType === onnx.TensorProto.DataType.FLOAT ? 4 : 2)) },
      ],
    });
  });
  const graph = onnx.GraphProto.create({ ...model.proto.graph, initializer: initializers });
  const modelBytes = onnx.ModelProto.encode(onnx.ModelProto.create({ ...model.proto, graph })).finish();
  const patchedFile = patches.external?.data;
  if (patchedFile) external.push({ path: PATCHED_DATA_FILE, data: patchedFile });
  return {
    modelBytes,
    externalData: external.length ? external : undefined,
    reports,
    ownBytes: modelBytes.byteLength + (patchedFile?.byteLength ?? 0),
  };
}
