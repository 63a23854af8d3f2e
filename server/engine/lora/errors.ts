export type LoraErrorCode =
  | 'LORA_INVALID'
  | 'LORA_UNSUPPORTED'
  | 'LORA_INCOMPATIBLE'
  | 'LORA_UNMATCHED'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND';

/** A LoRA that cannot be used as asked; `code` doubles as the GraphQL `extensions.code`. */
export class LoraError extends Error {
  override name = 'LoraError';
  constructor(
    readonly code: LoraErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}
