/** Small helpers for rewriting a decoded ONNX graph in place (used by the int8 and fp16 passes). */
import type onnxProto from 'onnx-proto';
import { onnx, toNumber, type OnnxComponent, type TensorProto } from '../lora/onnx-model.ts';

export type NodeProto = onnxProto.onnx.INodeProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export const { DataType } = onnx.TensorProto;

export function graphOf(component: OnnxComponent): GraphProto {
  const graph = component.proto.graph;
  if (!graph) throw new Error(`${component.file}: the model has no graph`);
  return graph;
}

/** How many node inputs (and graph outputs) read each value. */
export function useCounts(graph: GraphProto): Map<string, number> {
  const counts = new Map<string, number>();
  const use = (name: string | null | undefined) => {
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  for (const node of graph.node ?? []) for (const input of node.input ?? []) use(input);
  for (const output of graph.output ?? []) use(output.name);
  return counts;
}

export function consumersOf(graph: GraphProto): Map<string, NodeProto[]> {
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node ?? []) {
    for (const input of node.input ?? []) {
      if (!input) continue;
      const list = consumers.get(input) ?? [];
      list.push(node);
      consumers.set(input, list);
    }
  }
  return consumers;
}

export function dimsOf(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map(toNumber);
}

export function attributeInt(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? toNumber(attribute.i) : fallback;
}

export function attributeFloat(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? (attribute.f ?? fallback) : fallback;
}

/** A new initializer whose values live in memory (the writer decides where they are stored). */
export function memoryTensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): TensorProto {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

/** Drops initializers no node reads any more; returns how many. */
export function dropUnusedInitializers(graph: GraphProto): number {
  const used = useCounts(graph);
  const before = graph.initializer?.length ?? 0;
  graph.initializer = (graph.initializer ?? []).filter((tensor) => used.has(tensor.name ?? ''));
  return before - graph.initializer.length;
}

export function ensureOpset(component: OnnxComponent, domain: string, version: number): void {
  const imports = (component.proto.opsetImport ??= []);
  if (!imports.some((entry) => (entry.domain ?? '') === domain)) imports.push({ domain, version });
}

/** True when the export computes in float16 (an fp16 export): its float inputs or weights are float16. */
export function isFloat16Export(component: OnnxComponent): boolean {
  const graph = graphOf(component);
  const inputs = graph.input ?? [];
  if (inputs.some((input) => input.type?.tensorType?.elemType === DataType.FLOAT16)) return true;
  return [...component.sites.values()].some((site) => component.initializers.get(site.initializer)?.dataType === DataType.FLOAT16);
}
