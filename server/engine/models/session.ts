import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError, modelInvalid, modelMissing } from './errors.ts';
import type { ProviderName } from './providers.ts';

export interface SessionSettings {
  provider: ProviderName;
  /** intra-op threads; 0 lets ONNX Runtime pick. */
  threads: number;
}

export interface TensorSpec {
  name: string;
  type: ort.Tensor.Type | 'unknown';
  /** Numbers are fixed sizes, strings symbolic ones; [] for scalars (or an unknown shape). */
  shape: readonly (number | string)[];
}

/** A session with its inputs/outputs described and the time spent inside `run` counted. */
export class ModelSession {
  runMs = 0;
  runCount = 0;

  private constructor(
    readonly file: string,
    readonly session: ort.InferenceSession,
    readonly inputs: TensorSpec[],
    readonly outputs: TensorSpec[],
  ) {}

  static async open(file: string, settings: SessionSettings, modelRoot = dirname(dirname(file))): Promise<ModelSession> {
    const shown = relative(modelRoot, file) || basename(file);
    if (!existsSync(file)) throw modelMissing(file, `missing (${shown} is needed to run the model)`);
    if (statSync(file).size === 0) throw modelInvalid(file, 'empty file');
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, sessionOptions(settings));
    } catch (error) {
      throw explainLoadError(file, error);
    }
    return new ModelSession(file, session, describe(session.inputMetadata), describe(session.outputMetadata));
  }

  /**
   * A session from model bytes held in memory (e.g. weights patched with LoRAs), its external weight files supplied
   * as buffers. `file` names the model in errors and logs.
   */
  static async fromBytes(
    file: string,
    modelBytes: Uint8Array,
    settings: SessionSettings,
    externalData?: ort.InferenceSession.SessionOptions['externalData'],
  ): Promise<ModelSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, { ...sessionOptions(settings), ...(externalData ? { externalData } : {}) });
    } catch (error) {
      throw explainLoadError(file, error);
    }
    return new ModelSession(file, session, describe(session.inputMetadata), describe(session.outputMetadata));
  }

  input(name: string): TensorSpec | undefined {
    return this.inputs.find((spec) => spec.name === name);
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const started = performance.now();
    try {
      return await this.session.run(feeds);
    } finally {
      this.runMs += performance.now() - started;
      this.runCount++;
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function sessionOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [settings.provider],
    graphOptimizationLevel: 'all',
    // Memory patterns are planned per input shape over two runs; with image sizes changing between jobs that
    // made the first two steps at each new size ~10× slower than the rest (measured on the tiny UNet at 512²).
    enableMemPattern: false,
    // Load failures come back as exceptions that the caller explains (MODEL_INVALID, provider fallback): no raw ORT print.
    logSeverityLevel: 4,
    ...(settings.threads > 0 ? { intraOpNumThreads: settings.threads } : {}),
  };
}

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((value) =>
    value.isTensor ? { name: value.name, type: value.type, shape: value.shape } : { name: value.name, type: 'unknown', shape: [] },
  );
}

/** Turns ONNX Runtime's load error into a MODEL_MISSING (an external weights file is absent) or MODEL_INVALID one. */
function explainLoadError(file: string, error: unknown): ModelError {
  const explained = describeLoadError(file, error);
  explained.cause = error;
  return explained;
}

function describeLoadError(file: string, error: unknown): ModelError {
  const message = error instanceof Error ? error.message : String(error);
  const folder = dirname(file);
  for (const weights of ['weights.pb', 'model.onnx_data', `${basename(file)}_data`]) {
    if (message.includes(weights) && !existsSync(join(folder, weights))) {
      return modelMissing(join(folder, weights), `missing (the external weights of ${basename(file)})`);
    }
  }
  const firstLine = message.split('\n')[0].replace(/^\[[^\]]*\]\s*/, '');
  if (/protobuf|parse|invalid|corrupt|ModelProto/i.test(message)) {
    return modelInvalid(file, `not a readable ONNX model, truncated or corrupt (${firstLine})`);
  }
  if (/external data|offset|length|out of bounds|size/i.test(message)) {
    return modelInvalid(file, `its external weights are truncated or do not match the model (${firstLine})`);
  }
  return modelInvalid(file, `ONNX Runtime cannot load it (${firstLine})`);
}
