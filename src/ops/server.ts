import type { Server } from 'node:http';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { closeHttp, createHttpServer, listenHttp } from '../transport/http-listen.js';
import { type ListenerTls, reloadHttpTls } from '../transport/http-tls.js';
import type { AdminTokenConfig } from './config-admin.js';
import { AdminAuth } from './admin/auth.js';
import { AdminRouter } from './admin/router.js';
import type { AdminRoute } from './admin/types.js';

const ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

export interface OpsServerOptions {
  /** The admin API's bearer tokens (ops.tokens); none: every /admin call answers 401. */
  tokens?: readonly AdminTokenConfig[];
}

/**
 * The ops listener: Prometheus metrics and health probes for the people who run the gateway, and the admin
 * API under /admin (bearer tokens, admin/router.ts). Only /metrics, /healthz and /readyz answer without a token.
 */
export class OpsServer {
  private readonly server: Server;
  private readonly admin: AdminRouter;
  /** What /readyz says: set by the gateway (started, and its store reachable now). */
  ready: () => boolean = () => false;

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** ops.tls: HTTPS (checked now: a ConfigError); unset: plain HTTP. */
    private readonly tls?: ListenerTls,
    options: OpsServerOptions = {},
  ) {
    this.admin = new AdminRouter(new AdminAuth(options.tokens ?? []), log.child({ component: 'admin' }));
    this.server = createHttpServer(tls, {}, (req, res) => {
      const [path = '/', search = ''] = (req.url ?? '/').split('?', 2);
      if (path === '/admin' || path.startsWith('/admin/')) {
        this.admin.handle(req, res, path, new URLSearchParams(search)).then(
          (o) => this.metrics.opsRequests.inc({ route: o.pattern, code: String(o.status) }),
          (err: unknown) => {
            this.log.error({ err }, 'admin request failed');
            if (!res.headersSent) res.writeHead(HTTP_STATUS.INTERNAL_SERVER_ERROR, { connection: 'close' });
            res.end();
          },
        );
        return;
      }
      const route = ROUTES.has(path) ? path : 'other';
      const reply = (code: number, type: string, body: string): void => {
        this.metrics.opsRequests.inc({ route, code: String(code) });
        res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(HTTP_STATUS.METHOD_NOT_ALLOWED, 'text/plain', 'method not allowed\n');
      if (path === '/healthz') return reply(HTTP_STATUS.OK, 'text/plain', 'ok\n');
      if (path === '/readyz')
        return this.ready()
          ? reply(HTTP_STATUS.OK, 'text/plain', 'ready\n')
          : reply(HTTP_STATUS.SERVICE_UNAVAILABLE, 'text/plain', 'starting\n');
      if (path === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => reply(HTTP_STATUS.OK, this.metrics.registry.contentType, text),
          (err: unknown) => {
            this.log.error({ err }, 'metrics collection failed');
            reply(HTTP_STATUS.INTERNAL_SERVER_ERROR, 'text/plain', 'metrics failed\n');
          },
        );
        return;
      }
      reply(HTTP_STATUS.NOT_FOUND, 'text/plain', 'not found\n');
    });
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
  }

  /** Serve these admin routes too (each part of the admin API contributes its own: messages, peers, reload...). */
  addRoutes(...routes: ReadonlyArray<readonly AdminRoute[]>): void {
    for (const list of routes) this.admin.add(list);
  }

  listen(host: string, port: number): Promise<string> {
    return listenHttp(this.server, host, port);
  }

  /** ops.tls's files read again for new connections (SIGHUP); a ConfigError leaves the ones in use. */
  reloadTls(): void {
    if (this.tls) reloadHttpTls(this.server, this.tls);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }
}
