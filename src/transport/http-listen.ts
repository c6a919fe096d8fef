import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { httpsOptions, type ListenerTls } from './http-tls.js';

/** Start an HTTP server on host:port (port 0: any free one); resolves with its URL, rejects if it cannot bind. */
export async function listenHttp(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const scheme = server instanceof HttpsServer ? 'https' : 'http';
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

export interface EdgeServerOptions {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  log: Logger;
  /** Names the listener in the log line of a request that failed unexpectedly. */
  what: string;
  /** The answer to a request whose handler threw before answering (e.g. a plain 500). */
  failed: (res: ServerResponse) => void;
  /** HTTPS with this certificate (src/transport/http-tls.ts); unset: plain HTTP. */
  tls?: ListenerTls | undefined;
}

/** A plain HTTP server, or an HTTPS one when `tls` is given (its files read and checked now: ConfigError). */
export function createHttpServer(
  tls: ListenerTls | undefined,
  options: ServerOptions,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  if (tls === undefined) return createServer(options, handle);
  // https.Server is an http.Server over TLS sockets (the same request and timeout handling).
  return createHttpsServer({ ...options, ...httpsOptions(tls) }, handle);
}

/**
 * An HTTP server for an edge listener (MM1, MM7): slow senders cut off (request and header deadlines, checked
 * often enough to matter), bounded header size, and a handler whose unexpected error answers 500 (or drops a
 * connection already answering) instead of leaving the request hanging or ending the process.
 */
export function createEdgeServer(o: EdgeServerOptions, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
  return createHttpServer(
    o.tls,
    {
      requestTimeout: o.requestTimeoutMs,
      headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
      // Node checks those timeouts on this interval (default 30 s): slow senders are cut off within it.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(o.headersTimeoutMs / 2))),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        o.log.error({ err }, `${o.what} request failed`);
        if (!res.headersSent) o.failed(res);
        else res.destroy();
      });
    },
  );
}

/** Stop accepting, then drop the idle keep-alive connections that would hold the close open. */
export async function closeHttp(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
}
