import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { type AdminAuth, allows } from './auth.js';
import { AdminError, errorBody } from './errors.js';
import type { AdminCaller, AdminReply, AdminRoute } from './types.js';

/** JSON bodies of admin calls are small (`{ "peer": "..." }`): anything larger is refused 413 unread. */
export const ADMIN_MAX_BODY_BYTES = 16 * 1024;

/** Metric label of /admin paths no route matches (the raw path would be an unbounded label). */
export const UNMATCHED = '/admin/*';

interface Compiled {
  route: AdminRoute;
  segments: string[];
}

/** What the router did with a request: the route pattern (a bounded metric label) and the status answered. */
export interface AdminOutcome {
  pattern: string;
  status: number;
}

/**
 * The admin API's router (ops listener, `/admin/...`): authenticates the bearer token (401), matches the
 * routes' ':param' patterns (404, 405), checks the role (403), reads a bounded JSON body (400, 413, 415),
 * runs the handler and answers JSON. Every call is logged with the token's name, the action, the target
 * and the outcome; the token itself never is. Unknown paths answer 401 before 404, so that nothing of the
 * API's shape shows without a token.
 */
export class AdminRouter {
  private readonly routes: Compiled[] = [];

  constructor(
    private readonly auth: AdminAuth,
    private readonly log: Logger,
    private readonly maxBodyBytes = ADMIN_MAX_BODY_BYTES,
  ) {}

  /** Add routes (each part of the API contributes its own); a pattern and method given twice is an error. */
  add(routes: readonly AdminRoute[]): void {
    for (const route of routes) {
      if (!route.pattern.startsWith('/admin/')) throw new Error(`admin route ${route.pattern}: must start with /admin/`);
      if (this.routes.some((r) => r.route.method === route.method && r.route.pattern === route.pattern)) {
        throw new Error(`admin route ${route.method} ${route.pattern} defined twice`);
      }
      this.routes.push({ route, segments: route.pattern.split('/') });
    }
  }

  /** The patterns served, e.g. for a test or a listing. */
  patterns(): string[] {
    return this.routes.map((r) => `${r.route.method} ${r.route.pattern}`);
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<AdminOutcome> {
    const method = req.method ?? 'GET';
    const send = (pattern: string, status: number, body: unknown, headers: Record<string, string> = {}): AdminOutcome => {
      const text = `${JSON.stringify(body)}\n`;
      res
        .writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
          ...headers,
        })
        .end(method === 'HEAD' ? undefined : text);
      return { pattern, status };
    };
    const caller = await this.auth.authenticate(req.headers.authorization);
    if (!caller) {
      // An unread body is not worth reading for someone without a token: the connection goes after the answer.
      this.log.warn({ method, target: path, remote: req.socket.remoteAddress, outcome: 401 }, 'admin call without a valid token');
      return send(UNMATCHED, HTTP_STATUS.UNAUTHORIZED, errorBody('UNAUTHORIZED', 'a valid bearer token is required'), {
        'www-authenticate': 'Bearer realm="mmsc-admin"',
        connection: 'close',
      });
    }
    const found = this.match(method === 'HEAD' ? 'GET' : method, path);
    if (found === undefined) {
      this.audit(caller, 'unknown', method, path, HTTP_STATUS.NOT_FOUND);
      return send(UNMATCHED, HTTP_STATUS.NOT_FOUND, errorBody('NOT_FOUND', `no admin route ${path}`));
    }
    if ('allow' in found) {
      this.audit(caller, 'unknown', method, path, HTTP_STATUS.METHOD_NOT_ALLOWED);
      return send(found.pattern, HTTP_STATUS.METHOD_NOT_ALLOWED, errorBody('METHOD_NOT_ALLOWED', `${method} not allowed here`), {
        allow: found.allow.join(', '),
      });
    }
    const { route, params } = found;
    if (!allows(caller.role, route.role)) {
      this.audit(caller, route.action, method, path, HTTP_STATUS.FORBIDDEN);
      return send(
        route.pattern,
        HTTP_STATUS.FORBIDDEN,
        errorBody('FORBIDDEN', `role ${route.role} required, token ${caller.name} has ${caller.role}`),
        {
          connection: 'close',
        },
      );
    }
    let reply: AdminReply;
    try {
      const body = route.text ? await this.readText(req, route.text) : await this.readBody(req);
      reply = await route.handle({ method, params, query, body, caller });
    } catch (err) {
      if (err instanceof AdminError) {
        this.audit(caller, route.action, method, path, err.status, err.code);
        // A body left unread (too large) would be read as the next request: close the connection.
        return send(
          route.pattern,
          err.status,
          errorBody(err.code, err.message),
          err.status === HTTP_STATUS.CONTENT_TOO_LARGE ? { connection: 'close' } : {},
        );
      }
      this.log.error({ err, admin: caller.name, action: route.action, target: path }, 'admin action failed');
      this.audit(caller, route.action, method, path, HTTP_STATUS.INTERNAL_SERVER_ERROR, 'INTERNAL');
      return send(route.pattern, HTTP_STATUS.INTERNAL_SERVER_ERROR, errorBody('INTERNAL', (err as Error).message ?? 'failed'));
    }
    this.audit(caller, route.action, method, path, reply.status);
    if (reply.stream) return this.stream(res, route.pattern, reply.status, reply.stream, method === 'HEAD');
    return send(route.pattern, reply.status, reply.body);
  }

  /** A streamed answer (chunked), written as the reader takes it; a failure half-way ends the connection (no false end). */
  private async stream(
    res: ServerResponse,
    pattern: string,
    status: number,
    stream: NonNullable<AdminReply['stream']>,
    head: boolean,
  ): Promise<AdminOutcome> {
    res.writeHead(status, { 'content-type': stream.contentType, 'cache-control': 'no-store' });
    if (head) {
      res.end();
      return { pattern, status };
    }
    try {
      for await (const chunk of stream.chunks) {
        if (res.destroyed) break;
        if (!res.write(chunk)) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
      }
      res.end();
    } catch (err) {
      this.log.error({ err, target: pattern }, 'admin stream failed half-way: connection closed');
      res.destroy();
    }
    return { pattern, status };
  }

  /** A text body of the route's media type (e.g. text/csv), at most its maxBytes. */
  private async readText(req: IncomingMessage, spec: NonNullable<AdminRoute['text']>): Promise<string> {
    const max = spec.maxBytes();
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) throw new AdminError(HTTP_STATUS.CONTENT_TOO_LARGE, 'BODY_TOO_LARGE', `body over ${max} bytes`);
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== spec.type) throw new AdminError(HTTP_STATUS.UNSUPPORTED_MEDIA_TYPE, 'WRONG_TYPE', `the body must be ${spec.type}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new AdminError(HTTP_STATUS.CONTENT_TOO_LARGE, 'BODY_TOO_LARGE', `body over ${max} bytes`);
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_TEXT', 'the body is not UTF-8');
    }
  }

  /** The audit line of a call: who (the token's name), what, on what, and how it ended. */
  private audit(caller: AdminCaller, action: string, method: string, target: string, outcome: number, code?: string): void {
    this.log.info({ admin: caller.name, role: caller.role, action, method, target, outcome, ...(code ? { code } : {}) }, 'admin action');
  }

  /** The route of (method, path) with its decoded parameters; { pattern, allow } when only the method differs. */
  private match(
    method: string,
    path: string,
  ): { route: AdminRoute; params: Record<string, string> } | { pattern: string; allow: string[] } | undefined {
    const segments = path.split('/');
    let other: { pattern: string; allow: string[] } | undefined;
    for (const c of this.routes) {
      const params = matchSegments(c.segments, segments);
      if (!params) continue;
      if (c.route.method === method) return { route: c.route, params };
      other ??= { pattern: c.route.pattern, allow: [] };
      other.allow.push(c.route.method);
    }
    return other;
  }

  /** The JSON body of a POST or DELETE (undefined when there is none), at most maxBodyBytes. */
  private async readBody(req: IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (req.method === 'GET' || req.method === 'HEAD' || (!chunked && !(declared > 0))) return undefined;
    if (declared > this.maxBodyBytes) {
      throw new AdminError(HTTP_STATUS.CONTENT_TOO_LARGE, 'BODY_TOO_LARGE', `body over ${this.maxBodyBytes} bytes`);
    }
    const type = String(req.headers['content-type'] ?? 'application/json');
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
      throw new AdminError(HTTP_STATUS.UNSUPPORTED_MEDIA_TYPE, 'NOT_JSON', 'the body must be application/json');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBodyBytes)
        throw new AdminError(HTTP_STATUS.CONTENT_TOO_LARGE, 'BODY_TOO_LARGE', `body over ${this.maxBodyBytes} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_JSON', `the body is not JSON: ${(err as Error).message}`);
    }
  }
}

/** The parameters of `path` under `pattern` (both split on '/'), or undefined when it does not match. */
function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = path[i]!;
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      let value: string;
      try {
        value = decodeURIComponent(s);
      } catch {
        return undefined; // malformed %-escapes: no route has that parameter
      }
      params[p.slice(1)] = value;
    } else if (p !== s) return undefined;
  }
  return params;
}
