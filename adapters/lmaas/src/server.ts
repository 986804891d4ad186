/**
 * A "language model as a service" HTTP server around any gdfo Teacher (node:http, no framework): bearer-token
 * auth, request-size limit, bounded FIFO queue (one request scored at a time), health check, graceful shutdown.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Example, ScoreRequest, Teacher } from '@gdfo/spec';
import { encodeFloat32, promptFromWire } from './wire.js';

export interface LmaasServerOptions {
  readonly teacher: Teacher;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Bearer token every /v1 request must carry. */
  readonly token: string;
  /** Largest request body accepted (default 8 MiB). */
  readonly maxBodyBytes?: number;
  /** Requests that may wait behind the one being scored (default 16); beyond that → 503. */
  readonly maxQueue?: number;
  /** Milliseconds `close()` waits for queued work before dropping connections (default 10 s). */
  readonly shutdownGraceMs?: number;
  readonly log?: (line: string) => void;
}

export interface LmaasServer {
  /** Starts listening; resolves with the base URL (http://host:port). */
  listen(): Promise<{ url: string; port: number }>;
  /** Stops accepting, finishes queued work (within the grace period), closes connections. */
  close(): Promise<void>;
  readonly url: string | undefined;
  /** Requests waiting plus the one in flight. */
  readonly pending: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CLIENT_ERROR = /^(prompt|verbalizer|template|score request|examples|purpose|model input)\b/;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { status, message } }, headers);
}

function validateExamples(v: unknown): Example[] {
  if (!Array.isArray(v) || v.length === 0) throw new HttpError(400, 'examples: expected a non-empty array');
  return v.map((e: unknown, i) => {
    const o = e as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.text !== 'string') throw new HttpError(400, `examples[${i}].text: expected a string`);
    if (o.textB !== undefined && typeof o.textB !== 'string') throw new HttpError(400, `examples[${i}].textB: expected a string`);
    const label = typeof o.label === 'number' && Number.isInteger(o.label) ? o.label : 0;
    const ex: Example = { id: typeof o.id === 'string' ? o.id : String(i), text: o.text, label, ...(o.textB !== undefined ? { textB: o.textB as string } : {}) };
    return ex;
  });
}

function parseScoreRequest(body: unknown): ScoreRequest {
  if (!body || typeof body !== 'object') throw new HttpError(400, 'body: expected a JSON object');
  const o = body as Record<string, unknown>;
  const examples = validateExamples(o.examples);
  const t = o.template as Record<string, unknown> | undefined;
  if (!t || typeof t.text !== 'string') throw new HttpError(400, 'template.text: expected a string');
  const v = o.verbalizer as Record<string, unknown> | undefined;
  if (!v || !Array.isArray(v.words) || v.words.length === 0 || v.words.some((w) => typeof w !== 'string')) throw new HttpError(400, 'verbalizer.words: expected a non-empty array of strings');
  const purpose = o.purpose ?? 'train';
  if (purpose !== 'train' && purpose !== 'dev' && purpose !== 'test') throw new HttpError(400, `purpose: expected train, dev or test, got ${JSON.stringify(purpose)}`);
  let prompt;
  try {
    prompt = promptFromWire(o.prompt);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  return {
    examples,
    template: { specVersion: '1.0', text: t.text },
    verbalizer: { specVersion: '1.0', words: v.words as string[] },
    prompt,
    purpose,
  };
}

export function createLmaasServer(options: LmaasServerOptions): LmaasServer {
  const { teacher } = options;
  if (!teacher || typeof teacher.score !== 'function') throw new Error('createLmaasServer teacher: expected a Teacher');
  if (typeof options.token !== 'string' || options.token.length === 0) throw new Error('createLmaasServer token: expected a non-empty string');
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const maxQueue = options.maxQueue ?? 16;
  const grace = options.shutdownGraceMs ?? 10_000;
  const tokenDigest = digest(options.token);
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let server: Server | undefined;
  let url: string | undefined;
  let closing = false;

  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(h.slice(7)), tokenDigest);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBody) {
        reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${maxBody} bytes`));
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (c: Buffer) => {
        if (failed) return;
        size += c.length;
        if (size > maxBody) {
          failed = true;
          reject(new HttpError(413, `request body exceeds the limit of ${maxBody} bytes`));
          return;
        }
        parts.push(c);
      });
      req.on('end', () => failed || resolve(Buffer.concat(parts)));
      req.on('error', (e) => failed || reject(e));
    });

  const score = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `body: not valid JSON (${(e as Error).message})`);
    }
    const request = parseScoreRequest(body);
    if (pending >= maxQueue + 1) throw new HttpError(503, `queue full (${pending} requests pending, limit ${maxQueue} waiting)`);
    pending++;
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const work = chain.then(async () => {
      if (ac.signal.aborted) return;
      try {
        const r = await teacher.score(request, { signal: ac.signal });
        send(res, 200, { specVersion: '1.0', rows: r.rows, classes: r.classes, logits: encodeFloat32(r.logits), info: teacher.info, ...(r.usage ? { usage: r.usage } : {}), ...(r.cached ? { cached: true } : {}) });
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        // A bad request is the client's fault (400): messages naming a request field, or gdfo's BAD_* codes
        // (e.g. a prompt of the wrong shape for this teacher); anything else is the server's (500).
        const code = (e as { code?: unknown }).code;
        if (CLIENT_ERROR.test(msg) || (typeof code === 'string' && code.startsWith('BAD_'))) sendError(res, 400, msg);
        else {
          options.log?.(`lmaas: teacher failed: ${msg}`);
          sendError(res, 500, `teacher failed: ${msg}`);
        }
      } finally {
        pending--;
      }
    });
    chain = work.catch(() => undefined);
    await work;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET') throw new HttpError(405, 'healthz: use GET');
      send(res, closing ? 503 : 200, { ok: !closing, pending });
      return;
    }
    if (path !== '/v1/info' && path !== '/v1/score') throw new HttpError(404, `no route ${req.method ?? ''} ${path ?? ''}`);
    if (!authorized(req)) throw new HttpError(401, 'missing or invalid bearer token');
    if (closing) throw new HttpError(503, 'server is shutting down');
    if (path === '/v1/info') {
      if (req.method !== 'GET') throw new HttpError(405, '/v1/info: use GET');
      send(res, 200, { specVersion: '1.0', info: teacher.info });
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, '/v1/score: use POST');
    await score(req, res);
  };

  return {
    get url() {
      return url;
    },
    get pending() {
      return pending;
    },
    listen() {
      if (server) return Promise.reject(new Error('lmaas server: already listening'));
      server = createServer((req, res) => {
        handle(req, res).catch((e: unknown) => {
          const status = e instanceof HttpError ? e.status : 500;
          const headers: Record<string, string> = {};
          if (status === 401) headers['www-authenticate'] = 'Bearer';
          if (status === 503) headers['retry-after'] = '1';
          if (status === 413) headers.connection = 'close';
          sendError(res, status, (e as Error).message ?? String(e), headers);
          if (status === 413) res.on('finish', () => req.destroy());
          else req.resume();
        });
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port ?? 0, host, () => {
          const a = s.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          url = `http://${h}:${a.port}`;
          options.log?.(`lmaas: listening on ${url}`);
          resolve({ url, port: a.port });
        });
      });
    },
    async close() {
      if (!server || closing) return;
      closing = true;
      const s = server;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([chain, new Promise<void>((r) => (timer = setTimeout(r, grace)))]);
      if (timer) clearTimeout(timer);
      s.closeIdleConnections();
      const force = setTimeout(() => s.closeAllConnections(), 1000);
      await closed;
      clearTimeout(force);
      server = undefined;
    },
  };
}
