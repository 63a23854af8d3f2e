/** An error the user caused (bad flag, bad value): printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Errors whose message is already written for a person (config, model folder, …): printed without a stack. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
