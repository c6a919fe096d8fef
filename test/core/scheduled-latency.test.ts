// Scheduled messages go "within a second of sendAt by whichever instance is up" (issue 24): measured on the
// Redis store with the worker pool as the gateway runs it (its idle back-off, its take), on a pool that has
// been idle for a while (its poll interval at its longest). A job due at sendAt must be handed out and
// delivered within a second of it, and never before it.
import { pino } from 'pino';
import t from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { Router } from '../../src/core/router.js';
import { WorkerPool } from '../../src/core/worker-pool.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { createStore } from '../../src/store/index.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const SCHEDULE_MS = [1_500, 2_300, 3_100];
const WITHIN_MS = 1_000;

function message(id: string, sendAt: number): CoreMessage {
  const now = Date.now();
  return {
    id,
    originator: { address: '12345', type: 'shortcode' },
    recipients: [{ address: '+16175550100', type: 'plmn', kind: 'to' }],
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 2 }],
    expiresAt: now + 60_000,
    earliestDeliveryAt: sendAt,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'rest', peer: 'acme' },
    receivedAt: now,
  };
}

t.test('Redis store: a scheduled job is delivered within a second of sendAt by an idle pool, not before', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const log = pino({ level: 'silent' });
  const store = createStore(ConfigSchema.parse({ redis: { url }, queue: { prefix } }), log);
  await store.ready();
  const delivered = new Map<string, number>();
  const router: Router = {
    route: () => ({
      peer: 'sink',
      limits: { rate: 1000, burst: 1000, maxInFlight: 10 },
      send: async (d) => {
        delivered.set(d.message.id, Date.now());
        return { status: 'delivered' };
      },
    }),
  };
  const pool = new WorkerPool({ queue: store.queue, throttle: store.throttle, router, log });
  t.teardown(async () => {
    await pool.stop();
    await store.close();
    await dropKeys(url, prefix);
  });
  const start = Date.now();
  const due = new Map<string, number>();
  for (const [i, ms] of SCHEDULE_MS.entries()) {
    const id = `sched-${i}`;
    due.set(id, start + ms);
    await store.queue.enqueue(message(id, start + ms), [Buffer.from('hi')], ['sink']);
  }
  // Enqueued from outside the pool (another instance, as in the acceptance): no notify, the pool polls.
  pool.start();
  await until('every scheduled message delivered', () => delivered.size === SCHEDULE_MS.length || undefined, 15_000);
  for (const [id, at] of due) {
    const late = delivered.get(id)! - at;
    t.ok(late >= 0, `${id}: not before sendAt (${late} ms)`);
    t.ok(late <= WITHIN_MS, `${id}: within ${WITHIN_MS} ms of sendAt (${late} ms)`);
  }
});
