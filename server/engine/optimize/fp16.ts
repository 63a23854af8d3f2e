/**
 * fp16 weight storage for CPU: every sizeable float32 initializer is stored as float16 and read through a
 * `Cast(to: float)` node. ONNX Runtime's CPU provider has no float16 kernels for most SD1.5 operators, so the
 * graph keeps computing in float32: ORT folds the Casts at load time (constant folding), and what this buys is
 * half the disk and download size, not speed. (On CUDA, use a real fp16 export instead.)
 */
import { float32ToFloat16 } from '../models/fp16.ts';
import { elementCount, onnx, readWeight, type OnnxComponent } from '../lora/onnx-model.ts';
import { DataType, dimsOf, graphOf, memoryTensor, type NodeProto } from './graph.ts';

/** Scalars, shapes and tiny constants stay float32: converting them saves nothing. */
const MIN_ELEMENTS = 256;
const FLOAT16_MAX = 65504;

export interface Fp16Report {
  /** Initializers now stored as float16. */
  converted: number;
  parameters: number;
  /** Tensors left float32 because they hold values beyond float16's range (the text encoder's causal mask). */
  keptFloat32: number;
}

export function storeWeightsAsFloat16(component: OnnxComponent): Fp16Report {
  const graph = graphOf(component);
  const report: Fp16Report = { converted: 0, parameters: 0, keptFloat32: 0 };
  const casts: NodeProto[] = [];
  graph.initializer = (graph.initializer ?? []).map((tensor) => {
    const count = elementCount(tensor);
    if (tensor.dataType !== DataType.FLOAT || count < MIN_ELEMENTS) return tensor;
    const values = readWeight(component, tensor);
    if (values.some((v) => !(Math.abs(v) <= FLOAT16_MAX))) {
      report.keptFloat32++;
      return tensor;
    }
    const name = tensor.name ?? '';
    const stored = `${name}_fp16`;
    // The Cast keeps the original name as its output, so no reader of the weight changes.
    casts.push({ name: `${name}_cast`, opType: 'Cast', input: [stored], output: [name], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }] });
    report.converted++;
    report.parameters += count;
    return memoryTensor(stored, DataType.FLOAT16, dimsOf(tensor), float32ToFloat16(values));
  });
  graph.node = [...casts, ...(graph.node ?? [])];
  return report;
}
