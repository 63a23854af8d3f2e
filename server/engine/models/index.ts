export { ModelError, type ModelErrorCode } from './errors.ts';
export { float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from './fp16.ts';
export { loadModel, MODEL_FILES, type LoadedModel, type LoadOptions } from './model-folder.ts';
export { planProviders, type DeviceSetting, type ProviderName, type ProviderPlan } from './providers.ts';
export { ModelSession, type SessionSettings, type TensorSpec } from './session.ts';
export { TextEncoderModel } from './text-encoder.ts';
export { UnetModel, LATENT_CHANNELS, type TimestepForm, type UnetInput } from './unet.ts';
export { VaeDecoderModel } from './vae-decoder.ts';
export { DEMO_FORGE_SEED, DEMO_NOTICE, ensureDemoModel, resolveModelDir, type ResolvedModel } from './demo.ts';
