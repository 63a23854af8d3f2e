import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { DECODER_NAMES } from '../engine/pipeline/validate.ts';
import { startBatch, type BatchRequest } from '../graphql/batch-start.ts';
import { GENERATION_PRESETS } from '../presets/names.ts';
import type { ServerServices } from '../graphql/index.ts';
import { keyMatches, presentedKey } from './api-key.ts';
import { sendText } from './static-files.ts';

const MAX_BODY_BYTES = 64 * 1024;

const STATUS_BY_CODE: Record<string, number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, INVALID_SET: 422, INVALID_CONFIG: 422, UNAUTHENTICATED: 401, METHOD_NOT_ALLOWED: 405 };

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
}

function sendError(res: ServerResponse, code: string, message: string, field?: string): void {
  sendJson(res, STATUS_BY_CODE[code] ?? 503, { error: { code, message, ...(field ? { field } : {}) } });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new GraphQLError(`request body over ${MAX_BODY_BYTES} bytes`, { extensions: { code: 'BAD_USER_INPUT', field: 'body' } });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new GraphQLError('the body is not JSON', { extensions: { code: 'BAD_USER_INPUT', field: 'body' } });
  }
}

const optional = { string: ['theme', 'seed', 'scheduler', 'rng'], number: ['limit', 'steps', 'guidanceScale', 'priority'] } as const;

/** Checks the JSON shape the GraphQL input type would have checked. */
function toBatchRequest(body: unknown): BatchRequest {
  const bad = (field: string, message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'the body must be a JSON object');
  const input = body as Record<string, unknown>;
  if (typeof input.setId !== 'string') throw bad('setId', 'setId must be a string');
  for (const key of optional.string) if (input[key] !== undefined && input[key] !== null && typeof input[key] !== 'string') throw bad(key, `${key} must be a string`);
  for (const key of optional.number) if (input[key] !== undefined && input[key] !== null && typeof input[key] !== 'number') throw bad(key, `${key} must be a number`);
  // The JSON spelling of the GraphQL enums: FAST_DRAFT / fast_draft / fast-draft, FULL / full.
  const preset = enumValue(input.preset, GENERATION_PRESETS);
  if (preset === null) throw bad('preset', `preset must be one of ${GENERATION_PRESETS.join(', ')}`);
  const decoder = enumValue(input.decoder, DECODER_NAMES);
  if (decoder === null) throw bad('decoder', `decoder must be one of ${DECODER_NAMES.join(', ')}`);
  if (input.loras !== undefined && input.loras !== null) {
    if (!Array.isArray(input.loras)) throw bad('loras', 'loras must be a list of {name, weight}');
    input.loras.forEach((l: unknown, i) => {
      const lora = l as Record<string, unknown> | null;
      if (typeof lora?.name !== 'string') throw bad(`loras.${i}.name`, 'a LoRA needs a name');
      if (lora.weight !== undefined && lora.weight !== null && typeof lora.weight !== 'number') throw bad(`loras.${i}.weight`, 'weight must be a number');
    });
  }
  return { ...(input as unknown as BatchRequest), preset, decoder };
}

/** undefined when absent, null when not one of `allowed` (any case, `-` or `_`). */
function enumValue<T extends string>(value: unknown, allowed: readonly T[]): T | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return null;
  const normal = value.toLowerCase().replace(/-/g, '_');
  return allowed.find((a) => a === normal) ?? null;
}

/** `POST /api/generate/batch` with the `generateBatch` input as JSON → 202 { batchId, jobIds, directory, warnings }. */
export async function handleBatchRequest(req: IncomingMessage, res: ServerResponse, services: ServerServices, apiKey: string | undefined): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendError(res, 'METHOD_NOT_ALLOWED', 'use POST');
    return;
  }
  if (apiKey && !keyMatches(apiKey, presentedKey({ get: (name) => req.headers[name] as string | undefined }))) {
    sendError(res, 'UNAUTHENTICATED', 'missing or wrong API key');
    return;
  }
  try {
    const started = await startBatch(services, toBatchRequest(await readJson(req)));
    sendJson(res, 202, {
      batchId: encodeGlobalID('Batch', started.batch.id),
      jobIds: started.jobs.map((job) => encodeGlobalID('Job', job.id)),
      directory: started.batch.directory,
      theme: started.batch.theme,
      seed: started.batch.seed,
      warnings: started.warnings,
    });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const { code, field } = error.extensions as { code?: string; field?: string };
    sendError(res, code ?? 'INTERNAL', error.message, field);
  }
}
