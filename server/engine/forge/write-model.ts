/**
 * Serialises a built graph to model.onnx. Weight values are generated tensor by tensor at
 * write time; with external data each tensor is written to the data file as soon as it is
 * made, so the full preset never holds all its weights in memory.
 */
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { onnxElementType, type GraphBuilder, type InitializerSpec } from './graph.ts';
import { toFloat16Array } from './float16.ts';
import { onnx, type TensorProto } from './onnx.ts';
import { TensorRandom } from './random.ts';

export const OPSET = 17;
/** Like onnx's `convert_model_to_external_data`: tensors smaller than this stay inside model.onnx. */
const EXTERNAL_THRESHOLD_BYTES = 1024;

export interface WriteModelOptions {
  seed: number;
  /** File name (next to model.onnx) for external data; absent → weights embedded. */
  externalDataFile?: string;
}

function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function tensorBytes(spec: InitializerSpec, seed: number): Uint8Array {
  const n = elementCount(spec.dims);
  let values: Float32Array | Int32Array | BigInt64Array;
  if (spec.fill.kind === 'values') values = spec.fill.values;
  else {
    const floats = new Float32Array(n);
    if (spec.fill.kind === 'random') new TensorRandom(seed, spec.name).fillUniform(floats, spec.fill.std);
    else floats.fill(spec.fill.value);
    values = floats;
  }
  if (values.length !== n) throw new Error(`forge: tensor ${spec.name} has ${values.length} values for shape [${spec.dims}]`);
  const typed = spec.type === 'float16' ? toFloat16Array(values as Float32Array) : values;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** Writes the model; returns the bytes written (model.onnx plus its external data). */
export function writeModel(g: GraphBuilder, modelPath: string, options: WriteModelOptions): number {
  const initializer: TensorProto[] = [];
  let fd: number | undefined;
  let offset = 0;
  const dataPath = options.externalDataFile ? join(dirname(modelPath), options.externalDataFile) : undefined;
  if (dataPath) fd = openSync(dataPath, 'w');
  try {
    for (const spec of g.initializers) {
      const bytes = tensorBytes(spec, options.seed);
      const tensor: TensorProto = { name: spec.name, dims: spec.dims, dataType: onnxElementType(spec.type) };
      if (fd !== undefined && bytes.byteLength >= EXTERNAL_THRESHOLD_BYTES) {
        let written = 0;
        while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written, offset + written);
        tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        tensor.externalData = [
          { key: 'location', value: basename(dataPath!) },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes.byteLength) },
        ];
        offset += bytes.byteLength;
      } else {
        tensor.rawData = bytes;
      }
      initializer.push(tensor);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'imagineer-forge',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'main_graph', node: g.nodes, initializer, input: g.inputs, output: g.outputs },
  });
  writeFileSync(modelPath, onnx.ModelProto.encode(model).finish());
  return statSync(modelPath).size + (dataPath ? statSync(dataPath).size : 0);
}
