import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/**
 * A loopback server speaking the parts of the Hugging Face hub's file API that `@huggingface/hub`'s
 * listFiles/downloadFile use: `GET /api/models/{repo}/tree/{rev}` and `GET /{repo}/resolve/{rev}/{path}` with ranges.
 */
export interface FakeHub {
  url: string;
  /** Range headers received per path, in order (`null` for a request without one). */
  requests: { path: string; range: string | null }[];
  /** Cut the connection after this many body bytes, on the next download of the path only. */
  cutNextDownload(path: string, afterBytes: number): void;
  /** Serve other bytes of the same length for the path (a corrupted mirror). */
  corrupt(path: string): void;
  close(): Promise<void>;
}

const LFS_FILE = /\.(onnx|pb|onnx_data|bin|safetensors)$/;

export async function startFakeHub(repos: Record<string, string>): Promise<FakeHub> {
  const cuts = new Map<string, number>();
  const corrupted = new Set<string>();
  const requests: FakeHub['requests'] = [];

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://hub');
    const tree = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/);
    if (tree) {
      const root = repos[tree[1]];
      if (!root) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Repository not found"}');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing(root)));
    }
    const resolve = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const root = resolve && repos[resolve[1]];
    if (!resolve || !root) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Repository not found"}');
    const path = decodeURIComponent(resolve[3]);
    let data: Buffer;
    try {
      data = readFileSync(join(root, path));
    } catch {
      return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
    }
    if (corrupted.has(path)) data = Buffer.from(data.map((b) => b ^ 0xff));
    const range = req.headers.range ?? null;
    requests.push({ path, range });
    const etag = `"${createHash('sha256').update(data).digest('hex')}"`;
    const match = range?.match(/^bytes=(\d+)-(\d*)$/);
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] ? Math.min(Number(match[2]), data.length - 1) : data.length - 1;
    const body = data.subarray(start, end + 1);
    const headers = { ETag: etag, 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (match) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${data.length}` });
    else res.writeHead(200, headers);
    const cut = cuts.get(path);
    if (cut !== undefined && body.length > 1) {
      cuts.delete(path);
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(body);
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutNextDownload: (path, afterBytes) => cuts.set(path, afterBytes),
    corrupt: (path) => corrupted.add(path),
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function listing(root: string) {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const full = join(entry.parentPath, entry.name);
      const data = readFileSync(full);
      const path = relative(root, full).split('\\').join('/');
      const size = statSync(full).size;
      const gitOid = createHash('sha1').update(`blob ${size}\0`).update(data).digest('hex');
      return {
        type: 'file',
        path,
        size,
        oid: gitOid,
        ...(LFS_FILE.test(path) ? { lfs: { oid: createHash('sha256').update(data).digest('hex'), size, pointerSize: 134 } } : {}),
      };
    });
}
