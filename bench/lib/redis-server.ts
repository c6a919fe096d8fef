/**
 * A private redis-server for the benchmarks (bench/queue.ts, bench/mm7.ts, bench/mm1.ts): nobody else's
 * traffic in the figures, and the persistence settings we choose (none by default: `--save '' --appendonly no`).
 * It runs on a free loopback port with its own directory, dies with the bench process, and `stop()` removes the
 * directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../test/helpers/free-port.js';

export interface RedisServer {
  url: string;
  /** The redis-server process id (for /proc accounting or a profiler). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Whether `command` is an executable on PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, command)));
}

/**
 * Start redis-server with `extra` arguments after the defaults; resolves once it answers PING. With `cpu`,
 * it runs pinned to that CPU (taskset, which execs it: the pid is redis-server's). With `wrapper`, it runs
 * under that command (e.g. valgrind, whose process is redis-server's too), and may take a minute to start.
 */
export async function startRedis(extra: readonly string[] = [], cpu?: number, wrapper: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-redis-'));
  const serverArgs = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    join(dir, 'redis.log'),
    ...extra,
  ];
  const command = [...(cpu === undefined ? [] : ['taskset', '-c', String(cpu)]), ...wrapper, 'redis-server', ...serverArgs];
  const child: ChildProcess = spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill); // never outlive the bench
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  const deadline = Date.now() + (wrapper.length > 0 ? 60_000 : 10_000);
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
