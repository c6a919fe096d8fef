import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A peer for queue tests: an HTTP server that accepts deliveries (POST with X-Message-Id), dedupes them by
 * Message-ID as a real receiver would, and records when each arrived.
 */
export class Receiver {
  readonly seen = new Map<string, number>();
  readonly arrivals: number[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const id = String(req.headers['x-message-id'] ?? '');
      req.resume();
      req.on('end', () => {
        this.arrivals.push(performance.now());
        this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
        res.writeHead(200).end('ok');
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/deliver`;
    return this.url;
  }

  /** Deliveries beyond the first per Message-ID. */
  get duplicates(): number {
    let d = 0;
    for (const n of this.seen.values()) d += n - 1;
    return d;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}
