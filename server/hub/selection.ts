import type { ListFileEntry } from '@huggingface/hub';

/** The components of an SD1.5 ONNX export that txt2img needs; safety_checker and feature_extractor are left out (≈1.2 GB unused). */
const WANTED_FOLDERS = ['scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder'];
export const REQUIRED_EXPORT_FILES = ['model_index.json', 'unet/model.onnx', 'text_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'scheduler/scheduler_config.json'];

export function selectExportFiles(entries: ListFileEntry[]): { files: ListFileEntry[]; missing: string[] } {
  const files = entries.filter(
    (e) => e.type === 'file' && (e.path === 'model_index.json' || WANTED_FOLDERS.includes(e.path.split('/')[0]) && e.path.split('/').length === 2),
  );
  const present = new Set(files.map((f) => f.path));
  return { files, missing: REQUIRED_EXPORT_FILES.filter((p) => !present.has(p)) };
}

export function isSafeRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
