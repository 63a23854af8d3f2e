import { Tensor } from 'onnxruntime-node';
import { modelInvalid } from './errors.ts';
import { float16ToFloat32, float32ToFloat16 } from './fp16.ts';

export type FloatType = 'float32' | 'float16';

/** A float tensor in the dtype the model input asks for (fp16 exports take fp16 tensors). */
export function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): Tensor {
  return type === 'float16' ? new Tensor('float16', float32ToFloat16(data), dims) : new Tensor('float32', data, dims);
}

/** The float32 values of a model output, whatever float type the model produced. */
export function toFloat32(tensor: Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') {
    const data = tensor.data as unknown;
    if (data instanceof Uint16Array) return float16ToFloat32(data);
    return Float32Array.from(data as ArrayLike<number>);
  }
  throw new Error(`expected a float output, got ${tensor.type}`);
}

export function floatTypeOf(type: string, file: string, what: string): FloatType {
  if (type === 'float32' || type === 'float16') return type;
  throw modelInvalid(file, `${what} has type ${type}; expected float32 or float16`);
}
