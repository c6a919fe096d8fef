// An ops listener with the admin API on a real store (embedded or Redis), tokens of both roles, and a client.
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import type { Queue } from '../../src/core/ports.js';
import { coreAdminRoutes } from '../../src/ops/admin/index.js';
import { Metrics } from '../../src/ops/metrics.js';
import { OpsServer } from '../../src/ops/server.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { QueueOptions } from '../../src/store/options.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { captureLog } from './log-capture.js';
import { dropKeys, redisUrl, testPrefix } from './redis.js';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const OPERATE_TOKEN = 'operate-token-0123456789abcdef';

export type Backend = 'memory' | 'redis';
export const BACKENDS: Backend[] = ['memory', 'redis'];

/** A queue of the backend, dropped (keys and connection) at the test's end. */
export async function queueOf(t: Test, backend: Backend, opts: Partial<QueueOptions> = {}): Promise<Queue> {
  if (backend === 'memory') {
    const store = createMemoryStore(opts);
    t.teardown(() => store.queue.close());
    return store.queue;
  }
  const url = await redisUrl(t);
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix, ...opts });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  return store.queue;
}

export interface AdminClient {
  base: string;
  /** A call with the token of `role` (none: no Authorization header); the answer's status, body and headers. */
  call(
    role: 'read' | 'operate' | 'none' | string,
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: a test reads the JSON answer field by field
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

/** An OpsServer on a free loopback port with the core admin routes on `queue`; its log captured. */
export async function adminServer(t: Test, queue: Queue) {
  const cap = captureLog('debug');
  const metrics = new Metrics();
  const ops = new OpsServer(metrics, cap.log, undefined, {
    tokens: [
      { name: 'alice', token: READ_TOKEN, role: 'read' },
      { name: 'bob', token: OPERATE_TOKEN, role: 'operate' },
    ],
  });
  ops.addRoutes(coreAdminRoutes({ queue, startedAt: Date.now() - 5000, instance: 'test-1' }));
  const address = await ops.listen('127.0.0.1', 0);
  t.teardown(() => ops.close());
  const base = address.startsWith('http') ? address : `http://${address}`;
  const client: AdminClient = {
    base,
    async call(role, method, path, body) {
      const token = role === 'read' ? READ_TOKEN : role === 'operate' ? OPERATE_TOKEN : role === 'none' ? undefined : role;
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
  return { ops, metrics, log: cap, client };
}
