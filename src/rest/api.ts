import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VaspConfig } from '../ops/config.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { AdmissionRefusal, BodyTicket } from '../mm7/admission.js';
import { RestError, refusal, RETRY_SOON_MS } from './errors.js';
import { matchPath, type RestAnswer, type RestAuth, type RestRequest, type RestRoute, scopeAllows } from './route.js';
import { formSubmitRoute } from './submit-route.js';
import { messageStatusRoute } from './message-view.js';
import { idempotencyKeyOf, idempotentRequest } from './idempotency.js';
import { messageListRoute } from './message-list.js';
import { messageCancelRoute } from './message-cancel.js';
import { mediaInfoRoute, mediaUploadRoute } from './media/routes.js';
import type { RestApiOptions } from './services.js';
import { openApiRoute } from './openapi/route.js';

export type { RestApiOptions } from './services.js';

/** api.idempotencyWindowMs's default, for an API built without the `api` section (tests). */
const IDEMPOTENCY_WINDOW_MS = 86_400_000;

/** The operation label of a request no route takes. */
const OTHER = 'other';

/** Whoever authenticated without saying how (tests, older callers): the whole account. */
const ACCOUNT: RestAuth = { by: 'basic', scope: 'full' };

/**
 * The REST API for content providers that do not speak SOAP, on the MM7 listener (which has authenticated
 * the account already): a table of routes (src/rest/route.ts), each a small module. Submissions go through the
 * same intake as an MM7 SubmitReq (throttle, limits, routing, enqueue); every answer is JSON, every refusal
 * `{ error: { status, code, message } }` with the refusal catalogue's HTTP status.
 */
export class RestApi {
  private readonly routes: readonly RestRoute[];

  constructor(private readonly o: RestApiOptions) {
    this.routes = [
      formSubmitRoute(o),
      messageStatusRoute(o),
      // -- issue 24 routes, one line each: keep this list additive
      messageListRoute(o),
      messageCancelRoute(o),
      mediaUploadRoute(o.mediaUploads),
      mediaInfoRoute(o.mediaUploads),
      openApiRoute(),
    ];
  }

  /** The routes, in the order they are matched (test/rest/openapi.test.ts holds them to the OpenAPI document). */
  routeTable(): readonly Pick<RestRoute, 'method' | 'path' | 'operation' | 'needs'>[] {
    return this.routes;
  }

  /**
   * Whether the request is for a route that needs no credentials (GET /v1/openapi.json): the listener lets it
   * through unauthenticated, to `handlePublic`. Any other method on that path authenticates first (then 405).
   */
  isPublic(req: IncomingMessage): boolean {
    const path = new URL(req.url ?? '/', 'http://rest.invalid').pathname;
    return this.routes.some((r) => r.needs === 'none' && r.method === req.method && safeMatch(r.path, path));
  }

  /** A request `isPublic` says needs no account: answered without one (a route that needs none reads none). */
  async handlePublic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rest.invalid');
    const route = this.routes.find((r) => r.needs === 'none' && r.method === req.method && safeMatch(r.path, url.pathname));
    const operation = route?.operation ?? OTHER;
    try {
      if (!route) throw new RestError('NOT_FOUND', `no public resource at ${url.pathname.slice(0, 200)}`);
      const params = matchPath(route.path, url.pathname) ?? {};
      this.answer(res, operation, await route.handle(anonymous(req, params, url.searchParams)));
    } catch (err) {
      if (!(err instanceof RestError)) this.o.log.error({ err, operation }, 'rest request failed');
      const e = err instanceof RestError ? err : new RestError('INTERNAL', 'internal error');
      this.answer(res, operation, {
        status: e.status,
        body: { error: { status: e.status, code: e.code, message: e.message } },
        headers: e.headers,
      });
    }
  }

  /** `ticket`: the listener's admission of the request's body (server.ts), counted as it is read. */
  async handle(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, ticket?: BodyTicket, auth: RestAuth = ACCOUNT): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rest.invalid');
    let operation = OTHER;
    try {
      const found = this.match(req.method ?? 'GET', url.pathname);
      operation = found.operation;
      if (!found.route) throw found.error;
      const { route, params } = found;
      if (!scopeAllows(auth.scope, route.needs))
        throw refusal(
          'improper-identification',
          `this API key (${auth.key ?? 'unnamed'}) may not ${route.needs === 'send' ? 'send' : 'read'}`,
        );
      const r: Parameters<RestRoute['handle']>[0] = { req, vasp, auth, params, query: url.searchParams };
      if (ticket) r.ticket = ticket;
      if (route.idempotent) this.idempotent(r);
      const answer = await route.handle(r);
      this.answer(res, operation, answer);
    } catch (err) {
      if (err instanceof RestError) return this.refuse(req, res, operation, vasp, err);
      this.o.log.error({ err, vasp: vasp.id }, 'rest request failed');
      return this.refuse(req, res, operation, vasp, new RestError('INTERNAL', 'internal error'));
    }
  }

  /**
   * An idempotent route's request with an Idempotency-Key: its body is read through the hashing stream and
   * its run claims the key (src/rest/idempotency.ts). Without an idempotency store (a test's API built
   * without one) the key is refused rather than ignored: a retry would store the message twice.
   */
  private idempotent(r: Parameters<RestRoute['handle']>[0]): void {
    const key = idempotencyKeyOf(r.req);
    if (key === undefined) return;
    if (!this.o.idempotency) throw refusal('unsupported-operation', 'Idempotency-Key is not supported by this gateway');
    const { body, run } = idempotentRequest(
      {
        store: this.o.idempotency,
        queue: this.o.queue,
        windowMs: this.o.api?.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_MS,
        staleMs: 2 * this.o.config.requestTimeoutMs + 60_000,
        now: this.o.now ?? Date.now,
        log: this.o.log,
        count: (outcome) => this.o.metrics.restIdempotency.inc({ outcome }),
      },
      r.req,
      r.vasp,
      key,
    );
    r.body = body;
    r.idempotency = run;
  }

  /**
   * The route for a method and path; else the error: 404 when no route has the path, 405 (with Allow) when
   * none has the method (counted under the operation of the path's first route).
   */
  private match(
    method: string,
    path: string,
  ): { route: RestRoute; params: Record<string, string>; operation: string } | { route?: undefined; error: RestError; operation: string } {
    const allowed: string[] = [];
    let operation = OTHER;
    for (const route of this.routes) {
      let params: Record<string, string> | undefined;
      try {
        params = matchPath(route.path, path);
      } catch {
        throw refusal('validation-error', 'the path is not valid percent-encoding');
      }
      if (!params) continue;
      if (route.method === method) return { route, params, operation: route.operation };
      if (allowed.length === 0) operation = route.operation;
      allowed.push(route.method);
    }
    if (allowed.length === 0) return { error: new RestError('NOT_FOUND', `no resource at ${path.slice(0, 200)}`), operation };
    const allow = [...new Set(allowed)].join(', ');
    return { error: new RestError('METHOD_NOT_ALLOWED', `${path.slice(0, 200)} takes ${allow} only`, { allow }), operation };
  }

  /**
   * A request the listener did not admit (server.ts: the account's requests in progress, or the listener's
   * body budget): refused before its body is read, 429 for the account's own limit, 503 for the listener's.
   */
  busy(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, why: AdmissionRefusal): void {
    const code = why.reason === 'vasp-in-flight' ? 'throttled' : 'overloaded';
    const path = new URL(req.url ?? '/', 'http://rest.invalid').pathname;
    const route = this.routes.find((r) => r.method === req.method && safeMatch(r.path, path));
    this.refuse(req, res, route?.operation ?? OTHER, vasp, refusal(code, why.text, RETRY_SOON_MS));
  }

  private refuse(req: IncomingMessage, res: ServerResponse, operation: string, vasp: VaspConfig, err: RestError): void {
    if (req.socket.destroyed) {
      this.o.log.debug({ vasp: vasp.id, operation, detail: err.message }, 'rest client went away');
      return;
    }
    if (err.status < HTTP_STATUS.INTERNAL_SERVER_ERROR)
      this.o.log.info({ vasp: vasp.id, operation, status: err.status, detail: err.message }, 'rest request refused');
    else if (err.cause !== undefined)
      this.o.log.error({ vasp: vasp.id, operation, status: err.status, err: err.cause }, 'rest request failed');
    const headers = { ...err.headers };
    // A body left unread (over a limit, malformed, not looked at) is discarded, and the connection not
    // reused: keeping it would mean reading the rest of a body of any size first.
    if (unreadBody(req)) {
      headers.connection = 'close';
      req.resume();
    }
    const error: Record<string, unknown> = { status: err.status, code: err.code, message: err.message, ...err.details };
    this.answer(res, operation, { status: err.status, body: { error }, headers });
  }

  private answer(res: ServerResponse, operation: string, a: RestAnswer): void {
    this.o.metrics.restRequests.inc({ operation, code: String(a.status) });
    const headers: Record<string, string> = { ...a.headers };
    let bytes: Buffer | undefined = a.raw;
    if (!bytes && a.body !== undefined) {
      bytes = Buffer.from(JSON.stringify(a.body), 'utf8');
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(bytes?.length ?? 0);
    res.writeHead(a.status, headers).end(bytes);
  }
}

/** The request of a route that needs no account: reading `vasp` is a bug of the route, and throws. */
function anonymous(req: IncomingMessage, params: Record<string, string>, query: URLSearchParams): RestRequest {
  return {
    req,
    auth: { by: 'basic', scope: 'read' },
    params,
    query,
    get vasp(): VaspConfig {
      throw new Error('a route that needs no credentials has no account');
    },
  };
}

function safeMatch(pattern: string, path: string): boolean {
  try {
    return matchPath(pattern, path) !== undefined;
  } catch {
    return false;
  }
}

/** Whether the request has a body not read to its end (a request without one is not `complete` yet either). */
function unreadBody(req: IncomingMessage): boolean {
  const framed = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return framed && !req.complete;
}
