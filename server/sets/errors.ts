/**
 * What went wrong, in the GraphQL `extensions.code` vocabulary: BAD_USER_INPUT and NOT_FOUND are the
 * caller's to fix; INVALID_SET: one set's config entry or CSV is broken; INVALID_CONFIG: sets/config.yaml itself.
 */
export type SetErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'INVALID_SET' | 'INVALID_CONFIG';

export class SetError extends Error {
  override name = 'SetError';
  constructor(
    message: string,
    readonly code: SetErrorCode,
    /** The set concerned, when there is one. */
    readonly setId?: string,
  ) {
    super(message);
  }
}
