import { readdir } from 'node:fs/promises';

/** LoRA names offered to `generate`: the `.safetensors` files of the LoRA folder, without extension. */
export async function listLoraNames(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.safetensors'))
      .map((e) => e.name.slice(0, -'.safetensors'.length))
      .sort();
  } catch {
    return [];
  }
}
