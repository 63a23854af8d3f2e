/**
 * A small ONNX graph builder that names nodes, outputs and parameters the way
 * `torch.onnx.export` does for a module tree: node `/down_blocks.0/resnets.0/conv1/Conv`,
 * output `/down_blocks.0/resnets.0/conv1/Conv_output_0`, parameter
 * `down_blocks.0.resnets.0.conv1.weight`, anonymous transposed weight `onnx::MatMul_1234`.
 * Initializers are recorded as specs (shape + how to fill); values are produced only when
 * the model is written, so counting parameters costs nothing.
 */
import { DataType, type AttributeProto, type NodeProto, type ValueInfoProto } from './onnx.ts';

export type TensorFill =
  | { kind: 'random'; std: number }
  | { kind: 'constant'; value: number }
  | { kind: 'values'; values: Float32Array | Int32Array | BigInt64Array };

export type ElementType = 'float32' | 'float16' | 'int32' | 'int64';

export interface InitializerSpec {
  name: string;
  dims: number[];
  type: ElementType;
  fill: TensorFill;
  /** A trained weight (counted as a model parameter), as opposed to a shape or mask constant. */
  parameter: boolean;
}

export type Attribute =
  | { f: number }
  | { i: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string };

export type Dim = number | string;

const onnxType: Record<ElementType, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  int32: DataType.INT32,
  int64: DataType.INT64,
};

export function onnxElementType(type: ElementType): number {
  return onnxType[type];
}

function toAttribute(name: string, value: Attribute): AttributeProto {
  // AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7.
  if ('f' in value) return { name, type: 1, f: value.f };
  if ('i' in value) return { name, type: 2, i: value.i };
  if ('s' in value) return { name, type: 3, s: new TextEncoder().encode(value.s) };
  if ('floats' in value) return { name, type: 6, floats: value.floats };
  return { name, type: 7, ints: value.ints };
}

export function valueInfo(name: string, type: ElementType, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnxType[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: InitializerSpec[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly usedNodeNames = new Map<string, number>();
  private anonymousCounter = 0;

  /**
   * `floatType` is the dtype of every float weight, constant and activation, as in a real fp16
   * export; ORT's CPU provider runs fp16 nodes it has no kernel for through inserted Casts.
   */
  constructor(readonly floatType: 'float32' | 'float16' = 'float32') {}

  root(...segments: string[]): Scope {
    return new Scope(this, segments);
  }

  /** Adds a node; returns its output names (`<node name>_output_<i>`). */
  node(scopePrefix: string, opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, outputCount = 1): string[] {
    const base = `${scopePrefix}/${opType}`;
    const seen = this.usedNodeNames.get(base) ?? 0;
    this.usedNodeNames.set(base, seen + 1);
    const name = seen === 0 ? base : `${base}_${seen}`;
    const outputs = Array.from({ length: outputCount }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({
      name,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)),
    });
    return outputs;
  }

  /** A trained weight, stored in the graph's float type. */
  parameter(name: string, dims: number[], fill: TensorFill): string {
    this.initializers.push({ name, dims, type: this.floatType, fill, parameter: true });
    return name;
  }

  /** A weight torch exports without a module name (e.g. the transposed weight of a MatMul). */
  anonymousParameter(opType: string, dims: number[], fill: TensorFill): string {
    return this.parameter(this.anonymousName(opType), dims, fill);
  }

  /** A constant that is not a model parameter (shapes, axes, masks, tables). */
  constant(type: ElementType, dims: number[], values: Float32Array | Int32Array | BigInt64Array, opType = 'Constant'): string {
    const name = this.anonymousName(opType);
    this.initializers.push({ name, dims, type, fill: { kind: 'values', values }, parameter: false });
    return name;
  }

  /** A float constant in the graph's float type. */
  floatConstant(dims: number[], values: Float32Array, opType = 'Constant'): string {
    return this.constant(this.floatType, dims, values, opType);
  }

  int64s(values: number[], opType = 'Constant'): string {
    return this.constant('int64', [values.length], BigInt64Array.from(values.map(BigInt)), opType);
  }

  floatScalar(value: number, opType = 'Constant'): string {
    return this.floatConstant([], Float32Array.of(value), opType);
  }

  input(name: string, type: ElementType, dims: Dim[]): void {
    this.inputs.push(valueInfo(name, type, dims));
  }

  output(name: string, type: ElementType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Renames the producer's output so the graph output carries its public name. */
  bindOutput(tensor: string, name: string): void {
    for (const node of this.nodes) {
      node.output = node.output!.map((o) => (o === tensor ? name : o));
      node.input = node.input!.map((i) => (i === tensor ? name : i));
    }
  }

  parameterCount(): number {
    let total = 0;
    for (const init of this.initializers) if (init.parameter) total += init.dims.reduce((a, b) => a * b, 1);
    return total;
  }

  private anonymousName(opType: string): string {
    this.anonymousCounter += 1;
    return `onnx::${opType}_${this.anonymousCounter}`;
  }
}

/** A module path inside the exported model, e.g. ['down_blocks.0', 'resnets.0', 'conv1']. */
export class Scope {
  constructor(
    readonly graph: GraphBuilder,
    readonly segments: string[],
  ) {}

  child(...segments: string[]): Scope {
    return new Scope(this.graph, [...this.segments, ...segments]);
  }

  /** Parameter prefix: `down_blocks.0.resnets.0.conv1`. */
  get path(): string {
    return this.segments.join('.');
  }

  /** Node name prefix: `/down_blocks.0/resnets.0/conv1` (empty segments list → ''). */
  get prefix(): string {
    return this.segments.map((s) => `/${s}`).join('');
  }

  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}): string {
    return this.graph.node(this.prefix, opType, inputs, attributes)[0];
  }

  ops(opType: string, inputs: string[], attributes: Record<string, Attribute>, outputCount: number): string[] {
    return this.graph.node(this.prefix, opType, inputs, attributes, outputCount);
  }

  param(suffix: string, dims: number[], fill: TensorFill): string {
    return this.graph.parameter(this.path ? `${this.path}.${suffix}` : suffix, dims, fill);
  }
}
