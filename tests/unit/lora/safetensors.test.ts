import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile, withSafetensors } from '../../../server/engine/lora/safetensors.ts';
import { LoraError } from '../../../server/engine/lora/errors.ts';
import { safetensorsBytes, writeSafetensors } from '../../helpers/lora-writer.ts';
import { scratchDir } from './tiny-model.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/lora');
const dir = scratchDir('lora-st-');

async function openError(file: string): Promise<LoraError> {
  const error = await SafetensorsFile.open(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoraError);
  return error as LoraError;
}

describe('safetensors reader', () => {
  it('reads F32, F16 and BF16 tensors and metadata as torch wrote them', async () => {
    const reference = JSON.parse(readFileSync(join(fixtures, 'dtypes.json'), 'utf8'));
    await withSafetensors(join(fixtures, 'dtypes.safetensors'), async (st) => {
      expect(st.metadata).toEqual(reference.metadata);
      for (const [name, expected] of Object.entries<{ shape: number[]; values: (number | string)[] }>(reference.tensors)) {
        expect(st.tensors.get(name)!.shape).toEqual(expected.shape);
        const values = Array.from(await st.readFloat32(name));
        const wanted = expected.values.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
        expect(values).toEqual(wanted);
      }
    });
  });

  it('round-trips the test writer', async () => {
    const data = Float32Array.from([1, -2, 3.5, 0.25]);
    const file = writeSafetensors(join(dir, 'rt.safetensors'), { x: { shape: [2, 2], data }, y: { dtype: 'F16', shape: [4], data } }, { k: 'v' });
    await withSafetensors(file, async (st) => {
      expect(Array.from(await st.readFloat32('x'))).toEqual([1, -2, 3.5, 0.25]);
      expect(Array.from(await st.readFloat32('y'))).toEqual([1, -2, 3.5, 0.25]);
      expect(st.metadata).toEqual({ k: 'v' });
    });
  });

  it('refuses a truncated file, naming the file', async () => {
    const bytes = safetensorsBytes({ x: { shape: [64], data: new Float32Array(64) } });
    const file = join(dir, 'truncated.safetensors');
    writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    const error = await openError(file);
    expect(error.code).toBe('LORA_INVALID');
    expect(error.message).toMatch(/truncated\.safetensors: .*outside the file/);
  });

  it('refuses a header length over 100 MB and one past the end of the file', async () => {
    const huge = Buffer.alloc(64);
    huge.writeBigUInt64LE(200n * 1024n * 1024n);
    writeFileSync(join(dir, 'huge.safetensors'), huge);
    const error = await openError(join(dir, 'huge.safetensors'));
    expect(error.code).toBe('LORA_INVALID');
    expect(error.message).toMatch(/huge\.safetensors: header length .* over the 100 MB limit/);

    const past = Buffer.alloc(64);
    past.writeBigUInt64LE(1000n);
    writeFileSync(join(dir, 'past.safetensors'), past);
    expect((await openError(join(dir, 'past.safetensors'))).message).toMatch(/past\.safetensors: .*beyond the end/);
  });

  it('refuses garbage and tiny files', async () => {
    writeFileSync(join(dir, 'garbage.safetensors'), Buffer.concat([Buffer.from([16, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('this is not json')]));
    const error = await openError(join(dir, 'garbage.safetensors'));
    expect(error.code).toBe('LORA_INVALID');
    expect(error.message).toContain('garbage.safetensors: the header is not valid JSON');
    writeFileSync(join(dir, 'tiny.safetensors'), Buffer.from([1, 2, 3]));
    expect((await openError(join(dir, 'tiny.safetensors'))).code).toBe('LORA_INVALID');
  });

  it('checks shapes against byte lengths, overlaps and dtypes', async () => {
    const write = (name: string, header: object, dataBytes: number) => {
      const json = Buffer.from(JSON.stringify(header));
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(json.length));
      writeFileSync(join(dir, name), Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
      return join(dir, name);
    };
    const wrongSize = await openError(write('size.safetensors', { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8));
    expect(wrongSize.message).toMatch(/shape \[3\] × F32 is 12 bytes but data_offsets span 8/);
    const overlap = await openError(
      write('overlap.safetensors', { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    );
    expect(overlap.message).toMatch(/overlap/);
    const int = await openError(write('int.safetensors', { x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8));
    expect(int.code).toBe('LORA_UNSUPPORTED');
    expect(int.message).toMatch(/dtype I64/);
    const meta = await openError(write('meta.safetensors', { __metadata__: { n: 1 } }, 0));
    expect(meta.message).toMatch(/__metadata__\.n is not a string/);
  });
});
