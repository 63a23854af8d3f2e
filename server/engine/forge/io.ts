/** Graph inputs and outputs in the export's dtype, cast when the graph computes in another float type (the oracle). */
import { onnxElementType, type Dim, type GraphBuilder, type Scope } from './graph.ts';

export interface IoTypes {
  float: 'float32' | 'float16';
  inputIds: 'int32' | 'int64';
}

/** Declares a float input; returns the name of a tensor of the graph's float type holding it. */
export function castInput(g: GraphBuilder, scope: Scope, name: string, type: 'float32' | 'float16', dims: Dim[]): string {
  g.input(name, type, dims);
  return type === g.floatType ? name : scope.op('Cast', [name], { to: { i: onnxElementType(g.floatType) } });
}

/** Publishes a tensor of the graph's float type as the graph output `name` in the export's dtype. */
export function castOutput(g: GraphBuilder, scope: Scope, tensor: string, name: string, type: 'float32' | 'float16', dims: Dim[]): void {
  const published = type === g.floatType ? tensor : scope.op('Cast', [tensor], { to: { i: onnxElementType(type) } });
  g.bindOutput(published, name);
  g.output(name, type, dims);
}
