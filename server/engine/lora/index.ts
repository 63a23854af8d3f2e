/** LoRA support: reading files, the library listing, and merging LoRAs into exported components. */
export { LoraError, type LoraErrorCode } from './errors.ts';
export { mergeLoras, type LoraReport, type LoraRequest, type MergedModel, type MergeOptions } from './merge.ts';
export { getMergedModel, MergedModelCache, type MergedModelRequest } from './merged-model-cache.ts';
export { listLoras, resolveLora, triggerWords, type LoraInfo } from './library.ts';
export { detectBaseModel, type BaseModel } from './base-model.ts';
export { hashFile, type FileHashes } from './file-hash.ts';
export { SafetensorsFile, withSafetensors } from './safetensors.ts';
export type { LoraComponent } from './formats.ts';
export { ByteBoundedLru } from '../lru.ts';
