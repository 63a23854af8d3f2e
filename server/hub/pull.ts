import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, listFiles, type ListFileEntry } from '@huggingface/hub';
import { HubError } from './errors.ts';
import { modelDirFor, REPO_ID } from './paths.ts';
import { isSafeRelativePath, selectExportFiles } from './selection.ts';

export interface PullOptions {
  repo: string;
  revision?: string;
  cacheDir: string;
  hubUrl?: string;
  accessToken?: string;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullProgress {
  file: string;
  fileBytes: number;
  fileSize: number;
  doneBytes: number;
  totalBytes: number;
}

export interface PullResult {
  dir: string;
  files: { path: string; size: number; resumedFrom: number; skipped: boolean }[];
  downloadedBytes: number;
}


/**
 * Downloads an SD1.5 ONNX export from the Hugging Face hub (or anything speaking its file API) into the cache.
 * Files already complete are skipped, a `.partial` file is resumed with a range request, and every file is
 * checked against the size and (for LFS files) the sha256 the hub lists before it is moved into place.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  if (!REPO_ID.test(options.repo)) {
    throw new HubError('BAD_USER_INPUT', `"${options.repo}" is not a hub repo id; expected owner/name, e.g. someone/stable-diffusion-v1-5-onnx`);
  }
  const revision = options.revision ?? 'main';
  const common = { repo: options.repo, revision, hubUrl: options.hubUrl, accessToken: options.accessToken };
  const entries = await hubCall(options, () => collect(listFiles({ ...common, recursive: true })));
  const { files, missing } = selectExportFiles(entries);
  if (missing.length) {
    throw new HubError('MODEL_INVALID', `${options.repo}@${revision} is not a Stable Diffusion 1.5 ONNX export: missing ${missing.join(', ')}`);
  }
  const dir = modelDirFor(options.cacheDir, options.repo, revision);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const result: PullResult = { dir, files: [], downloadedBytes: 0 };
  let doneBytes = 0;
  for (const entry of files) {
    if (!isSafeRelativePath(entry.path)) throw new HubError('MODEL_INVALID', `the hub listed an unsafe path: ${JSON.stringify(entry.path)}`);
    const target = join(dir, entry.path);
    const report = (fileBytes: number) =>
      options.onProgress?.({ file: entry.path, fileBytes, fileSize: entry.size, doneBytes: doneBytes + fileBytes, totalBytes });
    if (existsSync(target) && statSync(target).size === entry.size) {
      result.files.push({ path: entry.path, size: entry.size, resumedFrom: 0, skipped: true });
    } else {
      const resumedFrom = await downloadOne(options, common, entry, target, report);
      result.files.push({ path: entry.path, size: entry.size, resumedFrom, skipped: false });
      result.downloadedBytes += entry.size - resumedFrom;
    }
    report(entry.size);
    doneBytes += entry.size;
  }
  writeFileSync(join(dir, 'imagineer-source.json'), JSON.stringify({ repo: options.repo, revision, pulledAt: new Date().toISOString() }, null, 2));
  return result;
}

async function downloadOne(
  options: PullOptions,
  common: { repo: string; revision: string; hubUrl?: string; accessToken?: string },
  entry: ListFileEntry,
  target: string,
  report: (bytes: number) => void,
): Promise<number> {
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  let resumeFrom = existsSync(partial) ? statSync(partial).size : 0;
  if (resumeFrom > entry.size) resumeFrom = 0;
  const blob = await hubCall(options, () => downloadFile({ ...common, path: entry.path, xet: false }));
  if (!blob) throw new HubError('HUB_NOT_FOUND', `${options.repo}: ${entry.path} is listed but cannot be downloaded`);
  const hash = createHash('sha256');
  if (resumeFrom > 0) await pipeline(createReadStream(partial), hash, { end: false });
  let written = resumeFrom;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      written += chunk.length;
      report(written);
      done(null, chunk);
    },
  });
  const body = Readable.fromWeb(blob.slice(resumeFrom).stream() as import('node:stream/web').ReadableStream);
  await hubCall(options, () => pipeline(body, counter, createWriteStream(partial, { flags: resumeFrom > 0 ? 'a' : 'w' })));
  const size = statSync(partial).size;
  if (size !== entry.size) {
    throw new HubError('HUB_INTEGRITY', `${entry.path}: received ${size} bytes, the hub lists ${entry.size}; run the pull again to resume`);
  }
  const sha256 = hash.digest('hex');
  if (entry.lfs?.oid && entry.lfs.oid !== sha256) {
    renameSync(partial, `${target}.corrupt`);
    throw new HubError('HUB_INTEGRITY', `${entry.path}: sha256 ${sha256} does not match the hub's ${entry.lfs.oid}; the file was set aside as ${target}.corrupt`);
  }
  renameSync(partial, target);
  return resumeFrom;
}

function networkErrorCode(error: unknown): string | undefined {
  let deepest: { message?: string } | undefined;
  for (let e = error as { code?: unknown; cause?: unknown; message?: string } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^E[A-Z]+|^UND_ERR/.test(e.code)) return e.code;
    deepest = e;
  }
  return (error as Error).name === 'TypeError' ? (deepest?.message ?? 'network error') : undefined;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Turns network failures and hub API errors into messages a user can act on. */
async function hubCall<T>(options: PullOptions, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HubError) throw error;
    const err = error as Error & { statusCode?: number };
    if (err.statusCode === 404 || err.statusCode === 401) {
      throw new HubError('HUB_NOT_FOUND', `${options.repo}@${options.revision ?? 'main'} was not found on the hub (or needs an access token: set HF_TOKEN)`);
    }
    const cause = networkErrorCode(err);
    if (cause) {
      throw new HubError(
        'HUB_OFFLINE',
        `cannot reach ${options.hubUrl ?? 'the Hugging Face hub'} (${cause}); check the network, then run the pull again (it resumes), or copy an export here with \`imagineer models import <folder>\``,
      );
    }
    throw new HubError('HUB_OFFLINE', `download from ${options.repo} failed: ${err.message}; run the pull again to resume`);
  }
}
