import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
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
  client.on('error', () => {}); // refused while the server boots
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * A redis-server process owned by one test: its own port and data directory, started and stopped (or
 * killed) at will, restarted on the same port and directory so that it reloads its AOF.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'mmsc-redis-'));

  constructor(
    readonly port: number,
    private readonly args: readonly string[] = [],
  ) {}

  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const s = new RedisServer(await freePort(), args);
    await s.start();
    return s;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const log = join(this.dir, 'redis.log');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--logfile', log, ...this.args], { stdio: 'ignore' });
    this.child = child;
    let failed: string | undefined;
    child.once('exit', (code, signal) => (failed = `redis-server exited (${signal ?? code})`));
    child.once('error', (err) => (failed = err.message));
    child.unref();
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !failed) {
      if (await pings(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    throw new Error(`${failed ?? 'redis-server did not answer PING'} on port ${this.port}\n${tail}`);
  }

  /** Stop the server: SIGKILL simulates a crash, SIGTERM a clean shutdown. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    // The child is unref'd so that it never keeps a test process alive; while we wait for its exit it must.
    child.ref();
    child.kill(signal);
    await gone;
  }
}

/** `redis-cli` with arguments; throws with its output when it fails. */
export function redisCli(args: readonly string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}
