/**
 * Writes a rewritten component back to disk in the layout of its source: weights that were in an external file
 * (`weights.pb`, `model.onnx_data`) go to a file of the same name, embedded ones stay embedded.
 */
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, tensorBytes, type OnnxComponent, type TensorProto } from '../lora/onnx-model.ts';
import { graphOf } from './graph.ts';

const { DataLocation } = onnx.TensorProto;
/** As onnx's `convert_model_to_external_data`: smaller tensors stay inside model.onnx. */
const EXTERNAL_THRESHOLD_BYTES = 1024;
/** Past this, weights go to an external file even when the source embedded them (protobuf's limit is 2 GiB). */
const EMBED_LIMIT_BYTES = 1024 ** 3;
/** External tensors start on aligned offsets so ORT can map them without copying. */
const ALIGNMENT = 64;

function externalLocation(tensor: TensorProto): string | undefined {
  if (tensor.dataLocation !== DataLocation.EXTERNAL) return undefined;
  return tensor.externalData?.find((entry) => entry.key === 'location')?.value ?? undefined;
}

/** Writes `<dir>/model.onnx` (+ its external data file); returns the bytes written. */
export function writeComponent(component: OnnxComponent, dir: string): number {
  const graph = graphOf(component);
  const initializers = graph.initializer ?? [];
  const bytesOf = (tensor: TensorProto) => (tensor.dataLocation === DataLocation.EXTERNAL ? tensorBytes(component, tensor) : tensor.rawData);
  const sourceLocation = initializers.map(externalLocation).find((location) => location !== undefined);
  const embeddedBytes = initializers.reduce((sum, tensor) => sum + (bytesOf(tensor)?.byteLength ?? 0), 0);
  const location = sourceLocation ?? (embeddedBytes > EMBED_LIMIT_BYTES ? 'weights.pb' : undefined);

  const fd = location ? openSync(join(dir, location), 'w') : undefined;
  let offset = 0;
  try {
    for (const tensor of initializers) {
      const bytes = bytesOf(tensor);
      if (fd !== undefined && bytes && bytes.byteLength >= EXTERNAL_THRESHOLD_BYTES) {
        offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
        let written = 0;
        while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written, offset + written);
        tensor.dataLocation = DataLocation.EXTERNAL;
        tensor.externalData = [
          { key: 'location', value: location! },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes.byteLength) },
        ];
        tensor.rawData = new Uint8Array(0);
        offset += bytes.byteLength;
      } else if (tensor.dataLocation === DataLocation.EXTERNAL) {
        tensor.rawData = bytes ?? new Uint8Array(0);
        tensor.dataLocation = DataLocation.DEFAULT;
        tensor.externalData = [];
      }
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const modelPath = join(dir, 'model.onnx');
  writeFileSync(modelPath, onnx.ModelProto.encode(component.proto).finish());
  return statSync(modelPath).size + (location ? statSync(join(dir, location)).size : 0);
}
