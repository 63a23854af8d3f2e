/** A configuration problem, worded for the person who edits config.yaml. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    message: string,
    readonly issues: { key: string; value: unknown; problem: string }[] = [],
  ) {
    super(message);
  }
}
