import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Mm1Config } from '../ops/config.js';
import { closeHttp, createEdgeServer, listenHttp } from '../transport/http-listen.js';
import { type ListenerTls, reloadHttpTls } from '../transport/http-tls.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Queue } from '../core/ports.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { basePathOf, requestPath } from './server.js';
import type { Tokens } from './tokens.js';
import { WebView } from './web-view-handler.js';

/**
 * The web view (GET /m/<token>[/<n>], the SMS fallback's link) on a listener of its own (mm1.webViewPort):
 * public by nature, so it reads no subscriber header and trusts no proxy (the token is the credential), while
 * the MM1 listener stays reachable only through the operator's WAP gateway. Nothing else is served here.
 */
export class WebViewServer {
  private readonly server: Server;
  private readonly view: WebView;
  /** The path of webViewPublicUrl ('' or e.g. '/v'): a reverse proxy may pass it on, or strip it. */
  private readonly basePath: string;

  constructor(private readonly o: { config: Mm1Config; queue: Queue; tokens: Tokens; metrics: Metrics; log: Logger; now?: () => number }) {
    this.basePath = basePathOf(o.config.webViewPublicUrl);
    this.view = new WebView({ queue: o.queue, tokens: o.tokens, metrics: o.metrics, log: o.log, now: o.now ?? Date.now });
    this.server = createEdgeServer(
      {
        requestTimeoutMs: o.config.requestTimeoutMs,
        headersTimeoutMs: o.config.headersTimeoutMs,
        log: o.log,
        what: 'web view',
        tls: this.tls,
        failed: (res) => this.plain(res, HTTP_STATUS.INTERNAL_SERVER_ERROR, 'internal error'),
      },
      (req, res) => this.handle(req, res),
    );
  }

  listen(host: string, port: number): Promise<string> {
    return listenHttp(this.server, host, port);
  }

  /** mm1.webViewTls's files read again for new connections (SIGHUP); a ConfigError leaves the ones in use. */
  reloadTls(): void {
    if (this.tls) reloadHttpTls(this.server, this.tls);
  }

  private get tls(): ListenerTls | undefined {
    return this.o.config.webViewTls ? { key: 'mm1.webViewTls', config: this.o.config.webViewTls } : undefined;
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req, this.basePath);
    if (!path.startsWith('/m/')) return this.plain(res, HTTP_STATUS.NOT_FOUND, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return this.plain(res, HTTP_STATUS.METHOD_NOT_ALLOWED, 'GET only', { allow: 'GET, HEAD' });
    return this.view.handle(path.slice(3), req, res);
  }

  private plain(res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
    this.o.metrics.webViews.inc({ kind: 'page', code: String(code) });
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
  }
}
