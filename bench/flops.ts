import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Node = onnxProto.onnx.INodeProto;
type Shape = number[];

export interface FlopCount {
  /** Conv: 2·Cout·Cin/groups·kh·kw·Hout·Wout per image. */
  conv: number;
  /** MatMul with a weight initializer and Gemm (the linear layers): 2·M·N·K. */
  linear: number;
  /** MatMuls between two activations (attention scores Q·Kᵀ and weighted values A·V). */
  attention: number;
  /** conv + linear + attention. */
  total: number;
  /** One element = one operation for everything else (norms, activations, adds), reported apart. */
  elementwise: number;
}

/**
 * FLOPs of one run of an ONNX graph (read without its external weights) for the given input shapes, from a shape
 * propagation that knows the operators the SD1.5 exports use. Small int64 tensors (Shape, Concat, constants) are
 * tracked by value so Reshape targets resolve.
 */
export function countGraphFlops(modelFile: string, inputShapes: Record<string, Shape>): FlopCount {
  const model = onnx.ModelProto.decode(readFileSync(modelFile));
  const graph = model.graph!;
  const shapes = new Map<string, Shape>(Object.entries(inputShapes));
  const values = new Map<string, number[]>();
  const weights = new Set<string>();
  for (const tensor of graph.initializer ?? []) {
    const dims = (tensor.dims ?? []).map(Number);
    shapes.set(tensor.name!, dims);
    weights.add(tensor.name!);
    const ints = intValues(tensor);
    if (ints) values.set(tensor.name!, ints);
  }
  for (const input of graph.input ?? []) {
    if (!shapes.has(input.name!)) throw new Error(`no shape given for graph input ${input.name}`);
  }
  const count: FlopCount = { conv: 0, linear: 0, attention: 0, total: 0, elementwise: 0 };
  for (const node of graph.node ?? []) inferNode(node, shapes, values, weights, count);
  count.total = count.conv + count.linear + count.attention;
  return count;
}

/** FLOPs of one UNet step: batch 2 (CFG) at height × width pixels, 77 text tokens of `textHidden` features. */
export function countUnetStepFlops(unetFile: string, options: { height: number; width: number; batch?: number; textHidden?: number }): FlopCount {
  const batch = options.batch ?? 2;
  return countGraphFlops(unetFile, {
    sample: [batch, 4, options.height / 8, options.width / 8],
    timestep: [batch],
    encoder_hidden_states: [batch, 77, options.textHidden ?? 768],
  });
}

/** Values of int64 tensors and of small float ones (Resize scales); undefined for weights. */
function intValues(tensor: onnxProto.onnx.ITensorProto): number[] | undefined {
  const raw = tensor.rawData;
  if (tensor.dataType === onnx.TensorProto.DataType.FLOAT && (tensor.dims ?? []).length === 1 && Number(tensor.dims![0]) <= 8) {
    if (tensor.floatData?.length) return [...tensor.floatData];
    return raw?.length ? Array.from(new Float32Array(new Uint8Array(raw).buffer)) : undefined;
  }
  if (tensor.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
  if (tensor.int64Data?.length) return tensor.int64Data.map(Number);
  if (!raw?.length) return [];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

function attribute(node: Node, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
const intAttr = (node: Node, name: string, fallback: number) => {
  const a = attribute(node, name);
  return a ? Number(a.i) : fallback;
};
const intsAttr = (node: Node, name: string) => attribute(node, name)?.ints?.map(Number);
const product = (dims: Shape) => dims.reduce((a, b) => a * b, 1);
const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function broadcast(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    return x === 1 ? y : x;
  });
}

function inferNode(node: Node, shapes: Map<string, Shape>, values: Map<string, number[]>, weights: Set<string>, count: FlopCount): void {
  const inputs = node.input ?? [];
  const shapeOf = (i: number): Shape => {
    const shape = shapes.get(inputs[i]);
    if (!shape) throw new Error(`${node.name}: no shape for input ${inputs[i]}`);
    return shape;
  };
  const set = (shape: Shape, index = 0) => shapes.set(node.output![index], shape);
  const op = node.opType!;
  switch (op) {
    case 'Conv': {
      const x = shapeOf(0);
      const w = shapeOf(1);
      const kernel = w.slice(2);
      const strides = intsAttr(node, 'strides') ?? kernel.map(() => 1);
      const pads = intsAttr(node, 'pads') ?? kernel.flatMap(() => [0, 0]);
      const dilations = intsAttr(node, 'dilations') ?? kernel.map(() => 1);
      const spatial = kernel.map((k, i) => Math.floor((x[2 + i] + pads[i] + pads[i + kernel.length] - dilations[i] * (k - 1) - 1) / strides[i]) + 1);
      const out = [x[0], w[0], ...spatial];
      set(out);
      // w is [Cout, Cin/groups, kh, kw] already.
      count.conv += 2 * x[0] * product(w) * product(spatial);
      return;
    }
    case 'MatMul': {
      const a = shapeOf(0);
      const b = shapeOf(1);
      const m = a[a.length - 2] ?? 1;
      const k = a[a.length - 1];
      const n = b[b.length - 1];
      const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
      set([...batch, ...(a.length > 1 ? [m] : []), n]);
      const flops = 2 * product(batch) * m * n * k;
      if (weights.has(inputs[1]) || weights.has(inputs[0])) count.linear += flops;
      else count.attention += flops;
      return;
    }
    case 'Gemm': {
      const a = shapeOf(0);
      const b = shapeOf(1);
      const [m, k] = intAttr(node, 'transA', 0) ? [a[1], a[0]] : a;
      const n = intAttr(node, 'transB', 0) ? b[0] : b[1];
      set([m, n]);
      count.linear += 2 * m * n * k;
      return;
    }
    case 'Shape': {
      const x = shapeOf(0);
      const start = axisOf(intAttr(node, 'start', 0), x.length);
      const endAttr = attribute(node, 'end');
      const end = endAttr ? axisOf(Number(endAttr.i), x.length) : x.length;
      const value = x.slice(start, end);
      set([value.length]);
      values.set(node.output![0], value);
      return;
    }
    case 'Reshape': {
      const x = shapeOf(0);
      const target = values.get(inputs[1]);
      if (!target) throw new Error(`${node.name}: Reshape target is not a known constant`);
      const out = target.map((d, i) => (d === 0 ? x[i] : d));
      const unknown = out.indexOf(-1);
      if (unknown >= 0) out[unknown] = product(x) / -product(out);
      set(out);
      return;
    }
    case 'Transpose': {
      const x = shapeOf(0);
      const perm = intsAttr(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      set(perm.map((p) => x[p]));
      return;
    }
    case 'Unsqueeze': {
      const x = shapeOf(0);
      const axes = values.get(inputs[1]) ?? intsAttr(node, 'axes') ?? [];
      const out = [...x];
      for (const axis of axes.map((a) => axisOf(a, x.length + axes.length)).sort((p, q) => p - q)) out.splice(axis, 0, 1);
      set(out);
      const v = values.get(inputs[0]);
      if (v) values.set(node.output![0], v);
      return;
    }
    case 'Concat': {
      const parts = inputs.map((_, i) => shapeOf(i));
      const axis = axisOf(intAttr(node, 'axis', 0), parts[0].length);
      const out = [...parts[0]];
      out[axis] = parts.reduce((sum, s) => sum + s[axis], 0);
      set(out);
      const parsed = inputs.map((name) => values.get(name));
      if (parsed.every((v) => v !== undefined)) values.set(node.output![0], parsed.flat() as number[]);
      return;
    }
    case 'Split': {
      const x = shapeOf(0);
      const axis = axisOf(intAttr(node, 'axis', 0), x.length);
      const outputs = node.output ?? [];
      const sizes = values.get(inputs[1] ?? '') ?? intsAttr(node, 'split') ?? outputs.map(() => x[axis] / outputs.length);
      outputs.forEach((_, i) => set(x.map((d, j) => (j === axis ? sizes[i] : d)), i));
      return;
    }
    case 'Resize': {
      const x = shapeOf(0);
      const scales = inputs[2] ? values.get(inputs[2]) : undefined;
      const sizes = inputs[3] ? values.get(inputs[3]) : undefined;
      set(sizes ?? x.map((d, i) => Math.floor(d * (scales?.[i] ?? 1))));
      return;
    }
    default: {
      // Elementwise and normalisations: output shape is the broadcast of the float inputs.
      const out = inputs.filter((name) => name && !(op.endsWith('Normalization') && weights.has(name))).map((name) => shapes.get(name) ?? []).reduce(broadcast);
      set(out);
      count.elementwise += product(out);
    }
  }
}
