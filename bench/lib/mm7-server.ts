// The MM7 listener alone on a store, as the MM7 benches run it (bench/mm7.ts, bench/mm7-hostile.ts): no
// routes (every recipient is enqueued unrouted), its own metrics, on an ephemeral loopback port.
import type { Logger } from 'pino';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import type { Config } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createStore, type Store } from '../../src/store/index.js';

export async function startMm7Server(config: Config, log: Logger): Promise<{ store: Store; server: Mm7Server; url: string }> {
  const store = createStore({ redis: config.redis, queue: config.queue }, log);
  await store.ready();
  const server = new Mm7Server({
    config: config.mm7,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics: new Metrics(),
    log,
  });
  const url = await server.listen('127.0.0.1', 0);
  return { store, server, url };
}
