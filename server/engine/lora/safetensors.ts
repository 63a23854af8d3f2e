/**
 * A safetensors reader for local files (written here because npm has no maintained Node reader
 * for local files; @huggingface/hub only parses headers of files on the Hub).
 * Only the header is read eagerly; each tensor is read on demand with a positional read, so a
 * large file never sits in memory twice.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { float16ToFloat32 } from '../models/fp16.ts';
import { LoraError } from './errors.ts';

export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const KNOWN_OTHER_DTYPES = new Set(['F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2']);

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** File offset of the data section (8 + header length). */
  dataStart: number;
}

function invalid(file: string, problem: string): LoraError {
  return new LoraError('LORA_INVALID', `${basename(file)}: ${problem}`, file);
}

/** Validates the JSON header text of a file of `fileSize` bytes whose header is `headerLength` long. */
export function parseHeader(file: string, text: string, headerLength: number, fileSize: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(file, 'the header is not valid JSON (not a safetensors file?)');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(file, 'the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(file, entry);
      continue;
    }
    tensors.set(name, parseTensorEntry(file, name, entry, dataLength));
  }
  const ordered = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].begin < ordered[i - 1].end) {
      throw invalid(file, `tensors ${ordered[i - 1].name} and ${ordered[i].name} overlap`);
    }
  }
  return { tensors, metadata, dataStart };
}

function parseMetadata(file: string, entry: unknown): Record<string, string> {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(file, '__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof value !== 'string') throw invalid(file, `__metadata__.${key} is not a string`);
    out[key] = value;
  }
  return out;
}

function parseTensorEntry(file: string, name: string, entry: unknown, dataLength: number): TensorInfo {
  if (entry === null || typeof entry !== 'object') throw invalid(file, `tensor ${name} has no description`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw invalid(file, `tensor ${name} has no dtype`);
  if (!(dtype in DTYPE_BYTES)) {
    if (KNOWN_OTHER_DTYPES.has(dtype)) {
      throw new LoraError('LORA_UNSUPPORTED', `${basename(file)}: tensor ${name} has dtype ${dtype}; only F32, F16 and BF16 are supported`, file);
    }
    throw invalid(file, `tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw invalid(file, `tensor ${name} has a bad shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw invalid(file, `tensor ${name} has bad data_offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw invalid(file, `tensor ${name} lies outside the file (data_offsets ${begin}..${end}, data section ${dataLength} bytes; truncated?)`);
  }
  const size = DTYPE_BYTES[dtype as SafetensorsDtype] * (shape as number[]).reduce((a, b) => a * b, 1);
  if (size !== end - begin) throw invalid(file, `tensor ${name}: shape [${shape.join(', ')}] × ${dtype} is ${size} bytes but data_offsets span ${end - begin}`);
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** An open safetensors file; read tensors with `readFloat32`, then `close()`. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    readonly size: number,
    readonly header: SafetensorsHeader,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new LoraError('NOT_FOUND', `${basename(file)}: no such LoRA file`, file);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const header = await readHeader(file, handle, size);
      return new SafetensorsFile(file, size, header, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  get tensors(): Map<string, TensorInfo> {
    return this.header.tensors;
  }

  /** Reads one tensor and converts it to float32. */
  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.header.tensors.get(name);
    if (!info) throw invalid(this.file, `no tensor named ${name}`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const byteLength = info.end - info.begin;
    const position = this.header.dataStart + info.begin;
    if (info.dtype === 'F32') {
      const out = new Float32Array(count);
      await this.readExactly(new Uint8Array(out.buffer), position, name);
      return out;
    }
    const raw = new Uint16Array(count);
    await this.readExactly(new Uint8Array(raw.buffer, 0, byteLength), position, name);
    if (info.dtype === 'F16') return float16ToFloat32(raw);
    const out = new Float32Array(count);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = raw[i] << 16;
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async readExactly(target: Uint8Array, position: number, name: string): Promise<void> {
    let done = 0;
    while (done < target.byteLength) {
      const { bytesRead } = await this.handle.read(target, done, target.byteLength - done, position + done);
      if (bytesRead === 0) throw invalid(this.file, `tensor ${name} is cut short (file truncated)`);
      done += bytesRead;
    }
  }
}

async function readHeader(file: string, handle: FileHandle, size: number): Promise<SafetensorsHeader> {
  if (size < 8) throw invalid(file, `file is ${size} bytes, too short for a safetensors header`);
  const lengthBytes = Buffer.alloc(8);
  await handle.read(lengthBytes, 0, 8, 0);
  const length = lengthBytes.readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES)) throw invalid(file, `header length ${length} is over the 100 MB limit (not a safetensors file?)`);
  if (length > BigInt(size - 8)) throw invalid(file, `header length ${length} is beyond the end of the ${size}-byte file (truncated?)`);
  if (length < 2n) throw invalid(file, `header length ${length} is too short`);
  const headerBytes = Buffer.alloc(Number(length));
  const { bytesRead } = await handle.read(headerBytes, 0, headerBytes.length, 8);
  if (bytesRead !== headerBytes.length) throw invalid(file, 'header is cut short (file truncated)');
  return parseHeader(file, headerBytes.toString('utf8'), headerBytes.length, size);
}

/** Opens `file`, runs `use` on it and closes it whatever happens. */
export async function withSafetensors<T>(file: string, use: (st: SafetensorsFile) => Promise<T>): Promise<T> {
  const st = await SafetensorsFile.open(file);
  try {
    return await use(st);
  } finally {
    await st.close();
  }
}
