/**
 * A private redis-server for the benchmarks (bench/queue.ts, bench/mm7.ts, bench/mm1.ts, ...): nobody else's
 * traffic in the figures, and the persistence settings we choose (none by default: `--save '' --appendonly no`).
 * It is the tests' RedisServer (test/helpers/redis-server.ts): a free loopback port, its own directory, dead with
 * the bench process; `stop()` here also removes the directory.
 */
import { onPath, RedisServer as Server } from '../../test/helpers/redis-server.js';

export { onPath };

export interface RedisServer {
  url: string;
  /** The redis-server process id (for /proc accounting or a profiler). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Start redis-server with `extra` arguments after the defaults; resolves once it answers PING. With `cpu`,
 * it runs pinned to that CPU (taskset, which execs it: the pid is redis-server's). With `wrapper`, it runs
 * under that command (e.g. valgrind, whose process is redis-server's too), and may take a minute to start.
 */
export async function startRedis(extra: readonly string[] = [], cpu?: number, wrapper: readonly string[] = []): Promise<RedisServer> {
  const server = await Server.start(['--save', '', '--appendonly', 'no', ...extra], {
    launcher: [...(cpu === undefined ? [] : ['taskset', '-c', String(cpu)]), ...wrapper],
    startTimeoutMs: wrapper.length > 0 ? 60_000 : 10_000,
  });
  return { url: server.url, pid: server.pid, stop: () => server.discard() };
}

/**
 * The Redis a bench runs against: `url` (its --redis, else REDIS_URL) when given, else a private redis-server
 * started now (`server`, for the bench to stop).
 */
export async function benchRedis(url: string | undefined): Promise<{ url: string; server: RedisServer | undefined }> {
  if (url) return { url, server: undefined };
  if (!onPath('redis-server'))
    throw new Error('no --redis, no REDIS_URL and no redis-server on PATH: set REDIS_URL=redis://host:port or install redis-server');
  const server = await startRedis();
  return { url: server.url, server };
}
