/**
 * Replicas that are LMaaS servers (@gdfo/adapter-lmaas): one HTTP client teacher per server, with the errors
 * a pool needs to tell apart — a server that is gone (refused or dropped connection), overloaded (429, 503) or
 * failing (5xx) is a retryable `TeacherError` (fail over, probe later); any other 4xx is the request's fault
 * (returned as is). `ping()` asks the server's `/healthz`.
 */
import type { CallOptions, ScoreRequest, ScoreResult, Teacher } from '@gdfo/spec';
import { GdfoError, TeacherError, withTimeout, type Clock } from '@gdfo/core';
import { createLmaasTeacher } from '@gdfo/adapter-lmaas';

export interface LmaasReplicaOptions {
  /** Bearer token of the servers. */
  readonly token: string;
  /** Injectable fetch (default: globalThis.fetch). */
  readonly fetch?: typeof fetch;
  /** A score call that takes longer fails (retryably) after this many ms (default: no timeout). */
  readonly timeoutMs?: number;
  /** How long a `/healthz` probe may take (default 2000 ms). */
  readonly pingTimeoutMs?: number;
  readonly clock?: Clock;
}

export interface LmaasReplica extends Teacher {
  readonly url: string;
  ping(): Promise<void>;
}

/** Turns an error of the LMaaS client into a `TeacherError` that says whether another replica may help. */
export function classifyLmaasError(err: unknown, url: string): unknown {
  if (err instanceof TeacherError) return err;
  const e = err as Error & { status?: unknown; name?: string };
  if (e?.name === 'AbortError') return err;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const message = e instanceof Error ? e.message : String(err);
  if (status === undefined) {
    // No HTTP status: the request never got an answer (refused, reset, DNS, dropped mid-call).
    return new TeacherError(`lmaas replica ${url}: ${message}`, { retryable: true, code: 'REPLICA_DOWN', cause: err });
  }
  return new TeacherError(`lmaas replica ${url}: ${message}`, { status, cause: err });
}

/** Connects to one LMaaS server as a pool replica. */
export async function createLmaasReplica(url: string, options: LmaasReplicaOptions): Promise<LmaasReplica> {
  const f = options.fetch ?? globalThis.fetch;
  const base = url.replace(/\/+$/, '');
  let inner: Teacher;
  try {
    inner = await createLmaasTeacher({ url: base, token: options.token, fetch: f });
  } catch (err) {
    throw classifyLmaasError(err, base);
  }
  const pingTimeoutMs = options.pingTimeoutMs ?? 2000;
  let client: Teacher = {
    specVersion: inner.specVersion,
    get info() {
      return inner.info;
    },
    async score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      try {
        return await inner.score(request, callOptions);
      } catch (err) {
        throw classifyLmaasError(err, base);
      }
    },
  };
  if (options.timeoutMs !== undefined) client = withTimeout(options.timeoutMs, options.clock)(client);
  const scored = client;
  return {
    specVersion: scored.specVersion,
    url: base,
    get info() {
      return inner.info;
    },
    score: (request, callOptions) => scored.score(request, callOptions),
    async ping() {
      let res: Response;
      try {
        res = await f(`${base}/healthz`, { method: 'GET', signal: AbortSignal.timeout(pingTimeoutMs) });
      } catch (err) {
        throw classifyLmaasError(err, base);
      }
      const body = (await res.json().catch(() => undefined)) as { ok?: boolean } | undefined;
      if (!res.ok || body?.ok !== true) throw new TeacherError(`lmaas replica ${base}: /healthz answered ${res.status}`, { status: res.status, retryable: true });
    },
  };
}

/** One replica factory per server URL, for `createTeacherPool({ replicas: lmaasReplicas(urls, { token }) })`. */
export function lmaasReplicas(urls: readonly string[], options: LmaasReplicaOptions): (() => Promise<LmaasReplica>)[] {
  if (!Array.isArray(urls) || urls.length === 0) throw new GdfoError('BAD_OPTION', 'lmaasReplicas urls: expected a non-empty array of http(s) URLs');
  urls.forEach((u, i) => {
    if (typeof u !== 'string' || !/^https?:\/\//.test(u)) throw new GdfoError('BAD_OPTION', `lmaasReplicas urls[${i}]: expected http(s)://host:port, got ${JSON.stringify(u)}`);
  });
  if (typeof options?.token !== 'string' || !options.token) throw new GdfoError('BAD_OPTION', 'lmaasReplicas token: expected a non-empty string');
  return urls.map((u) => () => createLmaasReplica(u, options));
}
