/**
 * A/B of two builds of the Redis queue: is a change to the scripts or the client faster, and by how much?
 * On a shared 2-vCPU VM one bench run cannot tell: the host's speed drifts by tens of percent within minutes.
 * This tool alternates the two builds many times against one private redis-server and prints each build's
 * min and median, so that drift hits both alike.
 *
 *   npm run build, then build the other tree too (e.g. `git worktree add /tmp/old HEAD~1`, `npm ci`, `npm run build` there)
 *   node dist/bench/lib/queue-ab.js --a=/tmp/old/dist --b=dist [--mode=steps|cycle|instructions] [--rounds=N] [--messages=N]
 *
 * Each measurement runs in a child process that loads one build only, with its own Redis client. That
 * matters: the queue defines its scripts once per ioredis client (src/store/redis/scripts.ts), so two builds
 * sharing a client would both run the first one's Lua, and the A/B would compare a build with itself.
 *
 * Modes:
 *   steps  Redis time per message of each script (enqueue, take, ack), from INFO commandstats, with the steps
 *          run one after the other (10,000 messages by default). With taskset on the machine and 2 CPUs or
 *          more, redis-server runs on the last CPU and the children on the first: a resolution of ~0.3-1 µs.
 *   cycle  The bench's cycle (bench/lib/queue-worker.ts: enqueue + take + ack, 64 in flight, take(32, 8)) after
 *          an untimed warm-up cycle, unpinned as the gateway runs: messages/s and client and Redis CPU per
 *          message (30,000 messages by default).
 *   instructions  The steps of `steps`, counted in redis-server's instructions per message instead of its
 *          time: redis-server runs under valgrind's callgrind (needs valgrind on PATH), and the child dumps
 *          the counts after each step (callgrind_control -d). The host's speed does not enter: two rounds of
 *          2,000 messages (the defaults) agree within ~1 %, where times drift by tens of percent. It counts
 *          user-space instructions only: not the kernel's work, not cache misses. For changes to the scripts
 *          and to what the client sends; confirm a gain in time with `cycle`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { fmt, median, redisSnapshot } from './measure.js';
import { benchMessage, concurrently, CONTENT, deletePrefix, PEERS, runCycle, takeAll, warmUp, type CycleQueue } from './queue-worker.js';
import { onPath, startRedis, type RedisServer } from './redis-server.js';

type Mode = 'steps' | 'cycle' | 'instructions';
const MODES: readonly Mode[] = ['steps', 'cycle', 'instructions'];
type Figures = Record<string, number>;

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** The queue of the build in `dist` (a build's output directory), on a client of its own. */
async function queueOf(dist: string, redis: Redis, prefix: string): Promise<CycleQueue> {
  const entry = resolve(dist, 'src/store/redis/index.js');
  if (!existsSync(entry)) throw new Error(`${dist}: no src/store/redis/index.js (not a built tree?)`);
  const mod = (await import(pathToFileURL(entry).href)) as typeof import('../../src/store/redis/index.js');
  return mod.createRedisStore({ redis, prefix }).queue;
}

/** Where callgrind writes its dumps (`<dir>/cg.out.<n>`), and the pid to ask for one. */
interface Callgrind {
  dir: string;
  pid: number;
}

/** Has callgrind dump its counts since the last dump and returns their instructions (the dump's summary). */
function callgrindDump(cg: Callgrind): number {
  execFileSync('callgrind_control', ['-d', String(cg.pid)], { stdio: 'ignore' });
  const dumps = readdirSync(cg.dir)
    .map((f) => /^cg\.out\.(\d+)$/.exec(f))
    .filter((m) => m !== null)
    .sort((x, y) => Number(y[1]) - Number(x[1]));
  if (dumps.length === 0) throw new Error(`no callgrind dump in ${cg.dir}`);
  const summary = /^summary: (\d+)/m.exec(readFileSync(join(cg.dir, dumps[0]![0]), 'utf8'));
  if (!summary) throw new Error(`callgrind dump ${dumps[0]![0]} has no summary`);
  return Number(summary[1]);
}

/** One measurement of one build, in this (child) process. */
async function child(dist: string, url: string, mode: Mode, messages: number, cg?: Callgrind): Promise<Figures> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    const warm = `ab-warm-${process.pid}`;
    // No content reads: neither mode measures them.
    await warmUp(redis, warm, await queueOf(dist, redis, warm), false, mode === 'cycle' ? messages : 2_000);
    const prefix = `ab-${process.pid}`;
    const queue = await queueOf(dist, redis, prefix);
    if (mode === 'cycle') {
      const before = await redisSnapshot(redis);
      const r = await runCycle(queue, { messages, inFlight: 64, batch: 32, perPeer: 8, window: 64, readContent: false, idPrefix: 'm' });
      const after = await redisSnapshot(redis);
      return {
        'msg/s': (r.acked / r.ms) * 1000,
        'client µs': (1000 * r.cpuMs) / r.acked,
        'Redis µs': (1e6 * (after.cpuS - before.cpuS)) / r.acked,
      };
    }
    const scriptUsec = async () => Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const out: Figures = {};
    // steps: the scripts' time (µs); instructions: everything redis-server ran (content writes too) since the last dump.
    let t = cg ? callgrindDump(cg) : await scriptUsec();
    const lap = async (name: string) => {
      if (cg) {
        out[name.replace('µs', 'instructions')] = callgrindDump(cg) / messages;
        return;
      }
      const now = await scriptUsec();
      out[name] = (now - t) / messages;
      t = now;
    };
    await concurrently(messages, (i) => queue.enqueue(benchMessage(`s-${i}`), [CONTENT], [`peer-${i % PEERS}`]));
    await lap('enqueue µs');
    const jobs = await takeAll(queue);
    await lap('take µs');
    if (jobs.length !== messages) throw new Error(`took ${jobs.length} of ${messages} jobs`);
    await concurrently(jobs.length, (i) => queue.ack(jobs[i]!, 'delivered'));
    await lap('ack µs');
    return out;
  } finally {
    await deletePrefix(redis, `ab-${process.pid}`);
    await redis.quit();
  }
}

/** Runs one measurement in a child process (pinned to `cpu` when given) and returns its figures. */
function measure(dist: string, url: string, mode: Mode, messages: number, cpu: number | undefined, cg?: Callgrind): Promise<Figures> {
  const self = fileURLToPath(import.meta.url);
  const childArgs = [self, '--child', `--dist=${dist}`, `--url=${url}`, `--mode=${mode}`, `--messages=${messages}`];
  if (cg) childArgs.push(`--cg-dir=${cg.dir}`, `--cg-pid=${cg.pid}`);
  const [cmd, cmdArgs] =
    cpu === undefined ? [process.execPath, childArgs] : ['taskset', ['-c', String(cpu), process.execPath, ...childArgs]];
  return new Promise((done, fail) => {
    const c = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.on('error', fail);
    c.on('exit', (code) =>
      code === 0 ? done(JSON.parse(stdout) as Figures) : fail(new Error(`measurement of ${dist} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const mode = (arg('mode') ?? 'steps') as Mode;
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}, not ${mode}`);
  const messages = Number(arg('messages') ?? { steps: 10_000, cycle: 30_000, instructions: 2_000 }[mode]);
  if (args.includes('--child')) {
    const cg = arg('cg-dir') === undefined ? undefined : { dir: arg('cg-dir')!, pid: Number(arg('cg-pid')) };
    process.stdout.write(JSON.stringify(await child(arg('dist')!, arg('url')!, mode, messages, cg)));
    return;
  }
  const a = arg('a');
  const b = arg('b');
  if (!a || !b)
    throw new Error(
      'usage: node dist/bench/lib/queue-ab.js --a=<built tree> --b=<built tree> [--mode=steps|cycle|instructions] [--rounds=N] [--messages=N]',
    );
  const defaultRounds = mode === 'instructions' ? 2 : 8;
  const rounds = Math.max(1, Number(arg('rounds') ?? defaultRounds) || defaultRounds);
  // Pinning only for steps: the cycle is measured as the gateway runs, unpinned; instructions do not need it.
  const pin = mode === 'steps' && cpus().length >= 2 && onPath('taskset');
  const redisCpu = cpus().length - 1;
  let cg: Callgrind | undefined;
  let server: RedisServer;
  if (mode === 'instructions') {
    if (!onPath('valgrind') || !onPath('callgrind_control')) throw new Error('--mode=instructions needs valgrind (callgrind) on PATH');
    const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-callgrind-'));
    server = await startRedis([], undefined, ['valgrind', '--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.out')}`]);
    cg = { dir, pid: server.pid! };
  } else server = pin ? await startRedis([], redisCpu) : await startRedis();
  const builds = { A: resolve(a), B: resolve(b) };
  console.log(
    `queue A/B, ${mode}: A ${builds.A}, B ${builds.B}; ${rounds} rounds of ${fmt(messages)} messages, ` +
      (pin ? `redis-server on CPU ${redisCpu}, each measurement on CPU 0` : cg ? 'redis-server under callgrind' : 'unpinned'),
  );
  const results: Record<'A' | 'B', Figures[]> = { A: [], B: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first: a build that always ran first or second would carry an order effect.
      const order: Array<'A' | 'B'> = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
      for (const v of order) results[v].push(await measure(builds[v], server.url, mode, messages, pin ? 0 : undefined, cg));
    }
  } finally {
    await server.stop();
    if (cg) rmSync(cg.dir, { recursive: true, force: true });
  }
  for (const v of ['A', 'B'] as const) {
    const names = Object.keys(results[v][0]!);
    const line = names.map((n) => {
      const xs = results[v].map((f) => f[n]!);
      const digits = n === 'msg/s' || cg ? 0 : 2;
      return `${n} min ${fmt(Math.min(...xs), digits)} median ${fmt(median(xs), digits)}`;
    });
    console.log(`  ${v}: ${line.join('; ')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
