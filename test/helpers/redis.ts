import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import tap from 'tap';
import type { Test } from 'tap';

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

/** One server per test process, shared by every caller. */
let started: Promise<string> | undefined;

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function pings(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // refused connections while the server boots are expected
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function startServer(): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-redis-'));
  const logfile = join(dir, 'redis.log');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', logfile],
    { stdio: 'ignore' },
  );
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `redis-server exited (${signal ?? code})`));
  child.once('error', (err) => (exited = `redis-server did not start: ${err.message}`));
  // The server must not keep the test process alive, and must not outlive it.
  child.unref();
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  tap.teardown(stop);

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    if (await pings(port)) return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = existsSync(logfile) ? readFileSync(logfile, 'utf8').slice(-2000) : '';
  stop();
  throw new Error(`${exited ?? 'redis-server did not answer PING within 10 s'} on port ${port}\n${log}`);
}
