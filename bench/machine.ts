import { cpus, totalmem, arch, platform, release, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export interface MachineDescription {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  simd: string[];
  node: string;
  onnxruntime: string;
}

export function describeMachine(): MachineDescription {
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
    const present = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    flags = ['avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_vnni', 'amx_tile', 'amx_bf16'].filter((f) => present.has(f));
  } catch {
    // Not Linux: leave the SIMD list empty rather than guess.
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${platform()} ${release()} ${arch()}`,
    simd: flags,
    node: process.version,
    onnxruntime: ort.env.versions?.common ?? 'unknown',
  };
}

/** A single MatMul [n,n]·[n,n] model, built in memory, to measure what ONNX Runtime's GEMM reaches on this machine. */
function matmulModel(n: number): Uint8Array {
  const weights = new Float32Array(n * n);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'imagineer-bench',
    graph: {
      name: 'matmul',
      node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'], name: 'MatMul' }],
      initializer: [{ name: 'w', dims: [n, n], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(weights.buffer) }],
      input: [valueInfo('x', [n, n])],
      output: [valueInfo('y', [n, n])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, dims: number[]) {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  };
}

/** Best-of-N GFLOP/s of an n×n×n float32 MatMul in ONNX Runtime with the given thread count (0 = ORT's default). */
export async function measureMatmulRate(options: { n?: number; runs?: number; threads?: number } = {}): Promise<{ n: number; gflops: number; bestMs: number }> {
  const n = options.n ?? 2048;
  const session = await ort.InferenceSession.create(matmulModel(n), {
    // Every logical core, as the engine uses them (hardware.threads: 0); ORT's own default took one here.
    intraOpNumThreads: options.threads || availableParallelism(),
    graphOptimizationLevel: 'all',
  });
  const x = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  await session.run({ x });
  let best = Infinity;
  for (let i = 0; i < (options.runs ?? 5); i++) {
    const start = performance.now();
    await session.run({ x });
    best = Math.min(best, performance.now() - start);
  }
  await session.release();
  return { n, gflops: (2 * n ** 3) / (best / 1000) / 1e9, bestMs: best };
}
