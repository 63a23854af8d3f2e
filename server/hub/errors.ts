export type HubErrorCode = 'HUB_OFFLINE' | 'HUB_NOT_FOUND' | 'HUB_INTEGRITY' | 'MODEL_INVALID' | 'BAD_USER_INPUT';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
  }
}
