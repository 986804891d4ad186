/**
 * A small HTTP server on 127.0.0.1 (port 0) for provider wire protocols in tests: routes, an Authorization
 * check, injectable faults (status codes with headers, hangs, malformed bodies) applied to the next requests
 * in order, and an exact account of what it served and billed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export type Fault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { hangMs: number }
  | { malformed: true };

export interface RouteResult {
  body: unknown;
  /** Tokens this response bills (counted only when it is delivered). */
  billed?: { promptTokens: number; completionTokens: number };
  headers?: Record<string, string>;
}

export type Route = (body: unknown, path: string) => Promise<RouteResult> | RouteResult;

export interface LogEntry {
  path: string;
  status: number | 'hang' | 'malformed' | 'dropped';
  key: string;
}

export class LoopbackServer {
  readonly faults: Fault[] = [];
  readonly log: LogEntry[] = [];
  /** Successful (200, well-formed, delivered) responses by request body hash. */
  readonly served = new Map<string, number>();
  readonly billed = { promptTokens: 0, completionTokens: 0 };
  /** Every Authorization header value seen (to check the adapter sent the key, and only there). */
  readonly authHeaders = new Set<string>();
  /** After this many delivered successes, every request gets a non-retryable 400 (a run that must stop). */
  refuseAfter = Infinity;
  private server!: Server;
  url = '';

  constructor(
    private readonly routes: Record<string, Route>,
    private readonly auth?: string,
  ) {}

  /** Faults for the next requests, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  get hits(): number {
    return this.log.length;
  }

  /** Delivered successful responses. */
  get ok(): number {
    let n = 0;
    for (const v of this.served.values()) n += v;
    return n;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const key = createHash('sha256').update(`${req.url} ${raw}`).digest('hex');
    const path = (req.url ?? '/').split('?')[0]!;
    const entry: LogEntry = { path, status: 200, key };
    this.log.push(entry);
    const authz = req.headers.authorization;
    if (authz) this.authHeaders.add(authz);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      if (res.destroyed || req.socket.destroyed) {
        entry.status = 'dropped';
        return false;
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
      return true;
    };
    if (this.ok >= this.refuseAfter) {
      entry.status = 400;
      send(400, JSON.stringify({ error: { message: 'refused: the test stops the run here', type: 'invalid_request_error', code: null } }));
      return;
    }
    const fault = this.faults.shift();
    if (fault && 'hangMs' in fault) {
      entry.status = 'hang';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, fault.hangMs);
        const done = () => (clearTimeout(t), resolve());
        res.once('close', done);
        this.server.once('close', done);
      });
      if (res.destroyed || req.socket.destroyed) return;
      entry.status = 200;
    } else if (fault && 'malformed' in fault) {
      entry.status = 'malformed';
      send(200, '{"id": "cmpl-1", "choices": [{"index": 0, "logpro');
      return;
    } else if (fault) {
      entry.status = fault.status;
      send(fault.status, JSON.stringify(fault.body ?? { error: { message: `injected ${fault.status}`, type: 'server_error', code: null } }), fault.headers);
      return;
    }
    if (this.auth !== undefined && authz !== `Bearer ${this.auth}`) {
      entry.status = 401;
      // A careless server that echoes the credential back: adapters must redact it from their errors.
      send(401, JSON.stringify({ error: { message: `Incorrect API key provided: ${String(authz)}`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    const route = this.routes[path];
    if (!route) {
      entry.status = 404;
      send(404, JSON.stringify({ error: { message: `no route ${path}`, type: 'invalid_request_error', code: null } }));
      return;
    }
    let result: RouteResult;
    try {
      result = await route(raw ? JSON.parse(raw) : null, path);
    } catch (err) {
      entry.status = 400;
      send(400, JSON.stringify({ error: { message: (err as Error).message, type: 'invalid_request_error', code: null } }));
      return;
    }
    if (send(200, JSON.stringify(result.body), result.headers)) {
      this.served.set(key, (this.served.get(key) ?? 0) + 1);
      this.billed.promptTokens += result.billed?.promptTokens ?? 0;
      this.billed.completionTokens += result.billed?.completionTokens ?? 0;
    }
  }
}
