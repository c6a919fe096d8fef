/**
 * A gateway worker process for the queue tests: the real worker pool on the real Redis backend, delivering
 * every job over HTTP to RECEIVER. Settings come from the environment. Prints "ready" once polling; on
 * SIGTERM it stops gracefully and exits 0. (The tests kill it with SIGKILL too.)
 */
import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { WorkerPool } from '../../src/core/worker-pool.js';
import type { Route } from '../../src/core/router.js';
import { createRedisStore } from '../../src/store/redis/index.js';

const env = process.env;
const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
const { queue, throttle } = createRedisStore({
  redis,
  prefix: env.PREFIX!,
  ...(env.SHARDS ? { shards: Number(env.SHARDS) } : {}),
  leaseMs: Number(env.LEASE_MS ?? 60_000),
});
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const receiver = new URL(env.RECEIVER!);

function post(id: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: receiver.hostname,
        port: receiver.port,
        path: receiver.pathname,
        method: 'POST',
        agent,
        headers: { 'x-message-id': id, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const route: Route = {
  peer: env.PEER ?? 'receiver',
  limits: { rate: Number(env.RATE ?? 1e6), burst: Number(env.BURST ?? 1e6), maxInFlight: Number(env.MAX_IN_FLIGHT ?? 1e6) },
  async send(d) {
    const [body] = await d.content();
    const status = await post(d.message.id, body ?? Buffer.alloc(0));
    return status === 200 ? { status: 'delivered' } : { status: 'retry', error: `HTTP ${status}`, retryAfterMs: 100 };
  },
};

const log = pino({ level: env.LOG_LEVEL ?? 'silent' });
const pool = new WorkerPool({
  queue,
  throttle,
  router: { route: () => route },
  log,
  concurrency: Number(env.CONCURRENCY ?? 32),
  retry: { baseMs: 100, factor: 2, maxMs: 1000, jitter: 0.2 },
});
pool.on('outcome', (o) => {
  if (o.state !== 'delivered') log.debug({ messageId: o.job.messageId, state: o.state, detail: o.detail }, 'outcome');
});
pool.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void pool.stop(5_000).then(async () => {
    await redis.quit();
    agent.destroy();
    process.exit(0);
  });
});
