import type { Server } from 'node:http';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { closeHttp, createHttpServer, listenHttp } from '../transport/http-listen.js';
import { type ListenerTls, reloadHttpTls } from '../transport/http-tls.js';

const ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

/** The ops listener: Prometheus metrics and health probes for the people who run the gateway. */
export class OpsServer {
  private readonly server: Server;
  /** What /readyz says: set by the gateway (started, and its store reachable now). */
  ready: () => boolean = () => false;

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** ops.tls: HTTPS (checked now: a ConfigError); unset: plain HTTP. */
    private readonly tls?: ListenerTls,
  ) {
    this.server = createHttpServer(tls, {}, (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
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
