// Shared by the tests and the benchmarks (bench/lib/redis-server.ts starts its private servers with it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/** Whether `command` is an executable on PATH (redis-server; for the benchmarks also taskset, valgrind). */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

export interface RedisServerOptions {
  /**
   * A command redis-server runs under, which must exec it or trace it in its own process so that `pid` stays
   * redis-server's: `['taskset', '-c', '1']` to pin it to a CPU, `['valgrind', '--tool=callgrind', ...]`.
   */
  launcher?: readonly string[];
  /** How long start() waits for PING (default 15 s; a server under valgrind wants a minute). */
  startTimeoutMs?: number;
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
    private readonly options: RedisServerOptions = {},
  ) {
    // The data directory outlives stop() (a restart reloads its AOF), not the test process.
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }));
  }

  static async start(args: readonly string[] = [], options: RedisServerOptions = {}): Promise<RedisServer> {
    const s = new RedisServer(await freePort(), args, options);
    await s.start();
    return s;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The redis-server process id while it runs (for /proc accounting or a profiler). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const log = join(this.dir, 'redis.log');
    const [command, ...launcherArgs] = [...(this.options.launcher ?? []), 'redis-server'];
    const child = spawn(
      command!,
      [...launcherArgs, '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--logfile', log, ...this.args],
      { stdio: 'ignore' },
    );
    this.child = child;
    let failed: string | undefined;
    child.once('exit', (code, signal) => (failed = `redis-server exited (${signal ?? code})`));
    child.once('error', (err) => (failed = err.message));
    child.unref();
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
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

  /** Stop the server for good and delete its data directory now rather than at exit (no restart after this). */
  async discard(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `redis-cli` with arguments; throws with its output when it fails. */
export function redisCli(args: readonly string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * A 3-master Redis Cluster on loopback (no replicas, no persistence), each node a RedisServer in its own
 * directory. Resolves once every node reports cluster_state:ok; stop() kills the nodes and removes their
 * directories. The cluster bus ports are picked free too (port + 10000 may be taken or out of range).
 */
export async function startCluster(): Promise<{ nodes: { host: string; port: number }[]; stop(): Promise<void> }> {
  const used = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await pick();
      const bus = await pick();
      const args = [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-port',
        String(bus),
        '--cluster-node-timeout',
        '2000',
        '--appendonly',
        'no',
        '--save',
        '',
      ];
      const server = new RedisServer(port, args);
      servers.push(server);
      await server.start();
    }
    const nodes = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
    redisCli(['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    let states: string[] = [];
    for (;;) {
      states = await Promise.all(nodes.map((n) => clusterState(n.port)));
      if (states.every((s) => s === 'ok')) break;
      if (Date.now() > deadline)
        throw new Error(
          `the cluster did not reach cluster_state:ok within 20 s: ${nodes.map((n, i) => `${n.port}=${states[i]}`).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The cluster_state field of one node's CLUSTER INFO ('ok', 'fail', or why it could not be read). */
async function clusterState(port: number): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = String(await client.call('CLUSTER', 'INFO'));
    return /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'no cluster_state';
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.disconnect();
  }
}
