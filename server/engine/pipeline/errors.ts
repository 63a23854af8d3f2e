/** A generation setting out of range; `field` names the request field (width, steps, …). */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The job was cancelled between steps; like the DOM's AbortError, so `error.name === 'AbortError'` checks work. */
export class CancelledError extends Error {
  override name = 'AbortError';
  readonly code = 'CANCELLED';
  constructor(message = 'generation cancelled') {
    super(message);
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new CancelledError(`generation cancelled ${where}`);
}
