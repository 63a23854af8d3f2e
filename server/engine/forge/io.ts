/** Graph inputs and outputs in the export's dtype; the graph computes in float32 inside. */
import type { Dim, GraphBuilder, Scope } from './graph.ts';
import { DataType } from './onnx.ts';

export interface IoTypes {
  float: 'float32' | 'float16';
  inputIds: 'int32' | 'int64';
}

/** Declares a float input; returns the name of a float32 tensor holding it. */
export function castInput(g: GraphBuilder, scope: Scope, name: string, type: 'float32' | 'float16', dims: Dim[]): string {
  g.input(name, type, dims);
  return type === 'float32' ? name : scope.op('Cast', [name], { to: { i: DataType.FLOAT } });
}

/** Publishes a float32 tensor as the graph output `name` in the export's dtype. */
export function castOutput(g: GraphBuilder, scope: Scope, tensor: string, name: string, type: 'float32' | 'float16', dims: Dim[]): void {
  const published = type === 'float32' ? tensor : scope.op('Cast', [tensor], { to: { i: DataType.FLOAT16 } });
  g.bindOutput(published, name);
  g.output(name, type, dims);
}
