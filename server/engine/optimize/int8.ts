/**
 * Dynamic int8 quantisation of the weight MatMuls and Gemms of a component, the method of onnxruntime's
 * `quantize_dynamic`: weights become int8 ahead of time, activations are quantised to uint8 at run time.
 * Each `MatMul(A, W)` / `Gemm(A, W, C)` with a constant float32 weight becomes com.microsoft
 * `DynamicQuantizeMatMul(A, W_int8, scale[N], , bias[N])` — the fused kernel ORT's own optimiser builds from
 * quantize_dynamic's DynamicQuantizeLinear → MatMulInteger → Mul chain. The bias Add that torch exports after
 * each Linear is folded into the node. Convolutions stay float32 (ConvInteger was not faster overall on CPU,
 * see bench/README.md), and so do the attention MatMuls, which have no constant weight.
 */
import { readWeight, type OnnxComponent, type TensorProto } from '../lora/onnx-model.ts';
import {
  attributeFloat,
  attributeInt,
  consumersOf,
  DataType,
  dimsOf,
  dropUnusedInitializers,
  ensureOpset,
  graphOf,
  memoryTensor,
  type GraphProto,
  type NodeProto,
} from './graph.ts';

export interface Int8Report {
  /** Weight MatMul/Gemm nodes replaced by DynamicQuantizeMatMul. */
  quantized: number;
  /** Of those, how many took the following bias Add into the node. */
  biasesFolded: number;
  /** Weight parameters now stored as int8. */
  parameters: number;
}

/** Symmetric per-column int8: scale_j = max_k |W[k, j]| / 127, q = round(W / scale_j); zero point 0. */
export function quantizePerColumn(weight: Float32Array, rows: number, columns: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(columns);
  for (let k = 0; k < rows; k++) {
    const row = k * columns;
    for (let j = 0; j < columns; j++) {
      const magnitude = Math.abs(weight[row + j]);
      if (magnitude > scale[j]) scale[j] = magnitude;
    }
  }
  const inverse = new Float32Array(columns);
  for (let j = 0; j < columns; j++) {
    scale[j] = scale[j] > 0 ? scale[j] / 127 : 1;
    inverse[j] = 1 / scale[j];
  }
  const q = new Int8Array(rows * columns);
  for (let k = 0; k < rows; k++) {
    const row = k * columns;
    for (let j = 0; j < columns; j++) q[row + j] = Math.max(-127, Math.min(127, Math.round(weight[row + j] * inverse[j])));
  }
  return { q, scale };
}

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}

interface Candidate {
  node: NodeProto;
  weight: TensorProto;
  /** The weight as [K, N] (Gemm with transB=1 stores [N, K]). */
  transposed: boolean;
  bias?: string;
}

function floatInitializer(component: OnnxComponent, name: string | undefined | null): TensorProto | undefined {
  const tensor = name ? component.initializers.get(name) : undefined;
  return tensor?.dataType === DataType.FLOAT ? tensor : undefined;
}

function candidateOf(component: OnnxComponent, node: NodeProto): Candidate | undefined {
  if (node.domain) return undefined;
  const inputs = node.input ?? [];
  const weight = floatInitializer(component, inputs[1]);
  if (!weight || dimsOf(weight).length !== 2 || floatInitializer(component, inputs[0])) return undefined;
  if (node.opType === 'MatMul') return { node, weight, transposed: false };
  if (node.opType !== 'Gemm') return undefined;
  if (attributeInt(node, 'transA', 0) || attributeFloat(node, 'alpha', 1) !== 1 || attributeFloat(node, 'beta', 1) !== 1) return undefined;
  const transposed = attributeInt(node, 'transB', 0) === 1;
  const columns = dimsOf(weight)[transposed ? 0 : 1];
  const bias = inputs[2] ? floatInitializer(component, inputs[2]) : undefined;
  if (inputs[2] && !(bias && dimsOf(bias).length === 1 && dimsOf(bias)[0] === columns)) return undefined;
  return { node, weight, transposed, bias: inputs[2] || undefined };
}

/** The `Add(bias, y)` right after a MatMul, when it is the MatMul's only reader and its bias is a [N] constant. */
function foldableBias(component: OnnxComponent, graph: GraphProto, readers: NodeProto[] | undefined, output: string, columns: number) {
  if (!readers || readers.length !== 1 || (graph.output ?? []).some((o) => o.name === output)) return undefined;
  const add = readers[0];
  if (add.opType !== 'Add' || add.domain || (add.input ?? []).length !== 2) return undefined;
  const other = add.input![0] === output ? add.input![1] : add.input![0];
  const bias = floatInitializer(component, other);
  if (!bias || dimsOf(bias).length !== 1 || dimsOf(bias)[0] !== columns) return undefined;
  return { add, bias: other };
}

export function quantizeComponentInt8(component: OnnxComponent): Int8Report {
  const graph = graphOf(component);
  const readers = consumersOf(graph);
  const removed = new Set<NodeProto>();
  const report: Int8Report = { quantized: 0, biasesFolded: 0, parameters: 0 };
  const quantizedWeights = new Map<string, { q: string; scale: string }>();
  const added: TensorProto[] = [];

  for (const node of graph.node ?? []) {
    const candidate = candidateOf(component, node);
    if (!candidate) continue;
    const [rows, columns] = candidate.transposed ? dimsOf(candidate.weight).reverse() : dimsOf(candidate.weight);
    const weightName = candidate.weight.name ?? '';
    let stored = quantizedWeights.get(weightName);
    if (!stored) {
      const values = readWeight(component, candidate.weight);
      const { q, scale } = quantizePerColumn(candidate.transposed ? transpose(values, columns, rows) : values, rows, columns);
      stored = { q: `${weightName}_quantized`, scale: `${weightName}_scale` };
      added.push(memoryTensor(stored.q, DataType.INT8, [rows, columns], q), memoryTensor(stored.scale, DataType.FLOAT, [columns], scale));
      quantizedWeights.set(weightName, stored);
      report.parameters += rows * columns;
    }
    let bias = candidate.bias;
    let output = node.output![0];
    if (node.opType === 'MatMul') {
      const fold = foldableBias(component, graph, readers.get(output), output, columns);
      if (fold) {
        bias = fold.bias;
        output = fold.add.output![0];
        removed.add(fold.add);
        report.biasesFolded++;
      }
    }
    node.opType = 'DynamicQuantizeMatMul';
    node.domain = 'com.microsoft';
    node.name = `${node.name ?? ''}_quant`;
    node.input = [node.input![0], stored.q, stored.scale, ...(bias ? ['', bias] : [])];
    node.output = [output];
    node.attribute = [];
    report.quantized++;
  }
  graph.node = (graph.node ?? []).filter((node) => !removed.has(node));
  graph.initializer = [...(graph.initializer ?? []), ...added];
  dropUnusedInitializers(graph);
  if (report.quantized > 0) ensureOpset(component, 'com.microsoft', 1);
  return report;
}
