import { pino } from 'pino';
import type { Test } from 'tap';
import type { IntakeScreen } from '../../src/core/intake.js';
import type { Queue } from '../../src/core/ports.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import type { Config } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import type { RestServices } from '../../src/rest/services.js';
import { createMemoryStore } from '../../src/store/memory/index.js';

export interface Mm7ListenerInit {
  config: Config['mm7'];
  /** The store (default: a new embedded one, on `now` when given). */
  store?: ReturnType<typeof createMemoryStore>;
  /** Wraps the store's queue (a test's hook into enqueue, say). */
  wrapQueue?: (q: Queue) => Queue;
  now?: () => number;
  restServices?: RestServices;
  screen?: IntakeScreen;
}

/**
 * The MM7 listener (MM7 and the REST API) on 127.0.0.1 with an empty route table and a silent log, the way
 * the REST tests start it; closed when the test ends.
 */
export async function mm7Listener(
  t: Test,
  init: Mm7ListenerInit,
): Promise<{ url: string; server: Mm7Server; store: ReturnType<typeof createMemoryStore>; queue: Queue; metrics: Metrics }> {
  const store = init.store ?? createMemoryStore(init.now ? { now: init.now } : {});
  const queue = init.wrapQueue ? init.wrapQueue(store.queue) : store.queue;
  const metrics = new Metrics();
  const server = new Mm7Server({
    config: init.config,
    queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: pino({ level: 'silent' }),
    ...(init.now ? { now: init.now } : {}),
    ...(init.restServices ? { restServices: init.restServices } : {}),
    ...(init.screen ? { screen: init.screen } : {}),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, server, store, queue, metrics };
}
