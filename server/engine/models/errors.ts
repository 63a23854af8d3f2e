export type ModelErrorCode = 'MODEL_MISSING' | 'MODEL_INVALID' | 'DEVICE_UNAVAILABLE';

/** A model folder that cannot be used; the message names the file and what is wrong with it. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

export function modelMissing(file: string, what: string): ModelError {
  return new ModelError('MODEL_MISSING', `${file}: ${what}`, file);
}

export function modelInvalid(file: string, problem: string): ModelError {
  return new ModelError('MODEL_INVALID', `${file}: ${problem}`, file);
}
