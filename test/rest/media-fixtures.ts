// Shared by the media tests: a real HTTP media server on loopback (each path a handler, every request counted),
// small real images, a tripwire that stops any socket from connecting off loopback, and a MediaHost to test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, Socket } from 'node:net';
import { PNG } from 'pngjs';
import { pino } from 'pino';
import type { Test } from 'tap';
import { type MediaApiConfig, MediaApiSchema } from '../../src/ops/config-api.js';
import { type VaspConfig, VaspSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { MediaHost } from '../../src/rest/media/service.js';
import type { MediaStore } from '../../src/core/ports.js';
import { MemoryMediaStore } from '../../src/store/memory/media.js';
import { OutboundGuard, type Resolver } from '../../src/transport/outbound-guard.js';

/** A 2x2 PNG, encoded by pngjs (a real image, not just a magic number). */
export function png(): Buffer {
  const img = new PNG({ width: 2, height: 2 });
  img.data.fill(0x80);
  return PNG.sync.write(img);
}

/** The 1x1 GIF89a every web page used as a spacer: header, logical screen, palette, image, trailer. */
export const GIF = Buffer.from('47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b', 'hex');

/** A baseline JFIF JPEG header (SOI, APP0 JFIF 1.1) with an end of image: what file-type reads as image/jpeg. */
export const JPEG = Buffer.concat([
  Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
  Buffer.alloc(64, 0x11),
  Buffer.from('ffd9', 'hex'),
]);

/** An ELF executable's header (x86-64): what an attacker would name photo.jpg. */
export const ELF = Buffer.concat([Buffer.from('7f454c4602010100', 'hex'), Buffer.alloc(120, 0)]);

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface MediaServer {
  base: string;
  port: number;
  /** Requests seen, as "METHOD /path" strings in order. */
  seen: string[];
  /** Sockets the server has had closed on it (by the client). */
  closed: number;
  route(path: string, handler: Handler): void;
}

/** A media server on 127.0.0.1 (a real HTTP server): each path answered by its handler, 404 otherwise. */
export async function mediaServer(t: Test): Promise<MediaServer> {
  const routes = new Map<string, Handler>();
  const state: MediaServer = {
    base: '',
    port: 0,
    seen: [],
    closed: 0,
    route: (path, handler) => void routes.set(path, handler),
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.seen.push(`${req.method} ${path}`);
    const h = routes.get(path);
    if (h) return h(req, res);
    res.writeHead(404, { 'content-length': '9' }).end('not found');
  });
  server.on('connection', (s) => s.on('close', () => state.closed++));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  state.port = typeof addr === 'object' && addr ? addr.port : 0;
  state.base = `http://127.0.0.1:${state.port}`;
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return state;
}

/** A handler answering `body` with `type`, its length, and `headers`; HEAD gets the headers only. */
export function serve(body: Buffer, type: string, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': String(body.length), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * Until the test ends, no socket may connect anywhere but loopback, even if the code under test were broken:
 * a literal address off loopback throws, and a host name's lookup answers are checked before the connect.
 * `blocked` lists what was stopped (so a test can say nothing was even tried).
 */
export function tripwire(t: Test): { blocked: string[] } {
  const blocked: string[] = [];
  const original = Socket.prototype.connect;
  const loopback = (a: string) => a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.') || a === 'localhost';
  // biome-ignore lint/suspicious/noExplicitAny: Socket.connect's overloads, passed on as they came
  Socket.prototype.connect = function (this: Socket, ...args: any[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'object' && first !== null && !('path' in first && first.path)) {
      const host = String(first.host ?? 'localhost');
      if (isIP(host.replace(/^\[|\]$/g, ''))) {
        if (!loopback(host.replace(/^\[|\]$/g, ''))) {
          blocked.push(host);
          throw new Error(`tripwire: a connect to ${host}, off loopback`);
        }
      } else if (!loopback(host)) {
        const lookup = first.lookup;
        if (typeof lookup !== 'function') {
          blocked.push(host);
          throw new Error(`tripwire: a connect to ${host} through the system resolver`);
        }
        // biome-ignore lint/suspicious/noExplicitAny: the lookup callback's two shapes
        first.lookup = (name: string, opts: any, cb: any) =>
          // biome-ignore lint/suspicious/noExplicitAny: as above
          lookup(name, opts, (err: any, address: any, family: any) => {
            const all: string[] = Array.isArray(address) ? address.map((a: { address: string }) => a.address) : [address];
            if (!err && all.some((a) => !loopback(a))) {
              blocked.push(`${host} -> ${all.join(',')}`);
              return cb(new Error(`tripwire: ${host} looked up as ${all.join(',')}, off loopback`));
            }
            cb(err, address, family);
          });
      }
    }
    return original.apply(this, args as Parameters<typeof original>);
  } as typeof original;
  t.teardown(() => {
    Socket.prototype.connect = original;
  });
  return { blocked };
}

/** An account through the schema (defaults filled in). */
export function account(id: string, extra: Partial<VaspConfig> = {}): VaspConfig {
  return VaspSchema.parse({ id, username: id, password: `pw-${id}`, senders: ['12345'], ...extra });
}

export interface Host {
  host: MediaHost;
  metrics: Metrics;
  store: MediaStore;
  clock: { now: number };
  config: MediaApiConfig;
}

/** A MediaHost with a guard (loopback allowed unless `allow` says otherwise) and `media` settings over the defaults. */
export function mediaHost(
  o: { allow?: string[]; resolve?: Resolver; media?: Partial<MediaApiConfig>; store?: MediaStore; realClock?: boolean; ca?: string } = {},
): Host {
  const clock = { now: Date.UTC(2030, 0, 15, 12) };
  const now = o.realClock ? Date.now : () => clock.now;
  const store = o.store ?? new MemoryMediaStore(now);
  const config = MediaApiSchema.parse({ timeoutMs: 2_000, ...o.media });
  const metrics = new Metrics();
  const guard = new OutboundGuard({ allow: o.allow ?? ['127.0.0.0/8', '::1/128'], ...(o.resolve ? { resolve: o.resolve } : {}) });
  const host = new MediaHost({
    store,
    guard,
    config: () => config,
    metrics,
    log: pino({ level: 'silent' }),
    now,
    ...(o.ca ? { ca: o.ca } : {}),
  });
  return { host, metrics, store, clock, config };
}

/** mmsc_media_fetches_total{outcome} now. */
export async function outcomes(metrics: Metrics): Promise<Record<string, number>> {
  const m = await metrics.mediaFetches.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.outcome), v.value]));
}
