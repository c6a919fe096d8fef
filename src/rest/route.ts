import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { VaspConfig } from '../ops/config.js';
import type { BodyTicket } from '../mm7/admission.js';
import type { ApiScope } from '../vasp/accounts.js';

export type { ApiScope };

/** How the request's account was authenticated (src/vasp/accounts.ts). */
export interface RestAuth {
  by: 'certificate' | 'basic' | 'apikey';
  scope: ApiScope;
  /** The API key's name (by: 'apikey'): for the log and its last-used time; never the key itself. */
  key?: string;
}

/** One request to a REST route, its account authenticated and (for one with a body) admitted. */
export interface RestRequest {
  req: IncomingMessage;
  vasp: VaspConfig;
  auth: RestAuth;
  /** The path's `:name` segments, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The listener's admission of the body (src/mm7/server.ts), counted as it is read; none for GET/DELETE. */
  ticket?: BodyTicket;
  /**
   * The body to read, when it is not `req` itself: an idempotent route's request with an Idempotency-Key is
   * read through a hashing stream (the fingerprint of the raw bytes). A route reads `body ?? req`.
   */
  body?: Readable;
  /** Set on an `idempotent` route's request that carries an Idempotency-Key (src/rest/idempotency.ts). */
  idempotency?: IdempotentRun;
}

/**
 * The Idempotency-Key of one request (issue 24): the route reads its whole body (through `body`), then claims
 * the key for the message id it will store under, before it carries anything out.
 * - `claim`: `{ first: true }` to go on; or the first request's answer to give instead (`replay`); a different
 *   body under the same key throws the idempotency-conflict refusal (422); a first request still in progress
 *   throws 409 (try again).
 * - `release`: the request was not carried out (refused, failed): the key is free again for a retry.
 */
export interface IdempotentRun {
  claim(messageId: string): Promise<{ first: true } | { first: false; replay: RestAnswer }>;
  release(): Promise<void>;
}

/** A route's answer: JSON unless `raw` (then the bytes as they are, with `headers` naming their type). */
export interface RestAnswer {
  status: number;
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}

/**
 * One operation of the REST API. Routes are matched in order by method and path; a path matched under
 * another method is 405 with Allow. `operation` is the metrics label (`mmsc_rest_requests_total{operation}`):
 * a fixed word, never from the request. `needs`: what the API key's scope must allow.
 */
export interface RestRoute {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  /** `/v1/messages/:id`: literal segments and `:name` parameters (one whole segment each). */
  path: string;
  operation: string;
  needs: 'send' | 'read' | 'none';
  /** Takes an Idempotency-Key (POST /v1/messages): the dispatcher sets `body` and `idempotency` when one is sent. */
  idempotent?: boolean;
  handle(r: RestRequest): Promise<RestAnswer>;
}

/** Whether a key of `scope` may call a route that needs `needs`. */
export function scopeAllows(scope: ApiScope, needs: RestRoute['needs']): boolean {
  return needs === 'none' || scope === 'full' || scope === needs;
}

/** The route's parameters when `path` matches its pattern, else undefined. Throws URIError on bad percent-encoding. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith(':')) {
      if (got[i] === '') return undefined;
      params[w.slice(1)] = decodeURIComponent(got[i]!);
    } else if (w !== got[i]) return undefined;
  }
  return params;
}
