import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import tap from 'tap';
import type { Test } from 'tap';
import { onPath, RedisServer } from './redis-server.js';

/**
 * A Redis for the tests: REDIS_URL when set (CI sets it), else a throw-away redis-server started on a free
 * port for this test process. Redis tests never skip: without Redis they fail, saying how to get one.
 */
export async function redisUrl(t: Pick<Test, 'fail'>): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return fromEnv;
  if (!onPath('redis-server')) {
    const how =
      'Redis is required for these tests and is not skipped: set REDIS_URL=redis://host:port, ' +
      'or install redis-server (apt-get install redis-server, brew install redis) so that the tests start their own.';
    const msg = process.env.CI ? `CI: no REDIS_URL and no redis-server on PATH. ${how}` : how;
    t.fail(msg);
    throw new Error(msg);
  }
  started ??= startServer();
  return started;
}

/** A random key prefix, so that tests sharing one Redis (CI's) never see each other's keys. */
export function testPrefix(): string {
  return `mmsc-test-${randomBytes(6).toString('hex')}`;
}

/**
 * Delete every key of one test from the Redis at `url` (SCAN in batches, never KEYS on a shared server; the
 * prefix may sit inside a cluster hash tag, hence *prefix*).
 */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

/** One server per test process, shared by every caller. */
let started: Promise<string> | undefined;

async function startServer(): Promise<string> {
  const server = await RedisServer.start(['--save', '', '--appendonly', 'no']);
  // The server must not outlive the test process.
  tap.teardown(() => server.stop('SIGKILL'));
  return server.url;
}
