/**
 * Redis queue benchmark (issue target: >= 20,000 messages/s through one process for the cycle
 * enqueue + dequeue + ack of 1-recipient, 10 KB messages, i.e. within 5x of the single-command rate
 * `redis-benchmark -P 1` reports on the same machine). Prints, in one run:
 *   1. redis-benchmark SET/GET (-P 1): the machine's single-command baseline (SET again just before each timed
 *      one-process run: the ratio is judged run by run against it);
 *   2. the cycle enqueue + take + ack from one process (this one) and from two processes
 *      (bench/lib/queue-worker.js, same prefix), then from one process with a content read before each ack (what
 *      a delivering worker adds: 10 KB more out of Redis a message), and last the same one-process cycle on
 *      a bare queue (bench/lib/queue-floor.ts): what this client and this Redis allow a cycle of this shape at best;
 *   3. enqueue latency (p50/p99/max) at 16 in flight;
 *   4. a per-step breakdown (server µs per script call, from INFO commandstats), to show where time goes;
 *   5. with --aof, the one-process cycle again against appendonly yes + appendfsync everysec;
 *   then the ratio to the baseline and whether the target holds. Each phase uses a fresh key prefix and
 *   deletes its keys afterwards (SCAN + UNLINK).
 * Each one-process phase first runs one untimed cycle of the same size (a long-running gateway's state, not its
 * first seconds), then `--runs=N` timed cycles (default 3) and reports their median; the two-process phase
 * warms up the same way and is timed once.
 * Redis: REDIS_URL if set, else a private redis-server (no persistence) started for the run and stopped
 * after. `--messages=N` sets the messages per process (default 30,000).
 * Run with `npm run bench` (or `npm run build && node dist/bench/queue.js`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisStore } from '../src/store/redis/index.js';
import type { LeasedJob } from '../src/core/ports.js';
import { commandDelta, fmt, idleShare, median, pct, redisSnapshot, type CommandStat, type RedisSnapshot } from './lib/measure.js';
import { FloorQueue } from './lib/queue-floor.js';
import {
  benchMessage,
  concurrently,
  CONTENT,
  deletePrefix,
  PEERS,
  runCycle,
  takeAll,
  warmUp,
  type CycleResult,
} from './lib/queue-worker.js';
import { onPath, startRedis, type RedisServer } from './lib/redis-server.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const numberArg = (name: string, dflt: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);

const MESSAGES = numberArg('messages', 30_000); // per process
/** Timed one-process cycles a phase, after its warm-up; the phase's figure is their median (the host is noisy). */
const RUNS = Math.max(1, Math.floor(numberArg('runs', 3)) || 3); // a bad --runs falls back to 3
const TARGET = 20_000;
// Shaped as the gateway runs: 64 concurrent enqueues; the worker pool's defaults (64 deliveries in progress,
// take(32, 8) whenever a slot is free: src/core/worker-pool.ts).
const CYCLE = { inFlight: 64, batch: 32, perPeer: 8, window: 64 };

const freshPrefix = (what: string) => `mmsc-bench-${what}-${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------------------------------------------------
// Server-side accounting: CPU of the redis-server process and per-command time, as deltas over a phase.
// Redis runs commands on one thread, so "CPU 100%" means the server is the bottleneck; the client's CPU
// (process.cpuUsage) tells the same about Node.

interface Delta {
  wallS: number;
  serverCpu: number; // fraction of one core
  faults: number; // redis-server's minor page faults (NaN: not on this machine)
  cmd(name: string): CommandStat;
}

function delta(a: RedisSnapshot, b: RedisSnapshot): Delta {
  const wallS = Number(b.at - a.at) / 1e9;
  return { wallS, serverCpu: (b.cpuS - a.cpuS) / wallS, faults: b.faults - a.faults, cmd: (name) => commandDelta(a, b, name) };
}

/** One line on where the server spent the phase: evalsha (the queue scripts), content writes and reads. */
function serverLine(d: Delta, messages: number): string {
  const parts = ['evalsha', 'set', 'mget'].map((name) => {
    const c = d.cmd(name);
    if (c.calls === 0) return undefined;
    return `${name} ${fmt(c.calls)} calls × ${fmt(c.usec / c.calls, 1)} µs (${fmt((100 * c.usec) / 1e6 / d.wallS)}% of wall)`;
  });
  const evalsha = d.cmd('evalsha');
  return (
    `    redis-server CPU ${fmt(100 * d.serverCpu)}% of a core = ${fmt((1e6 * d.serverCpu * d.wallS) / messages)} µs/message, of which scripts ${fmt(evalsha.usec / messages)} µs` +
    (Number.isNaN(d.faults) ? '' : `, ${fmt(d.faults / messages, 2)} page faults`) +
    '; ' +
    parts.filter(Boolean).join(', ') +
    '  (set: the content writes; mget: content reads, batched per tick)'
  );
}

async function durability(redis: Redis): Promise<string> {
  try {
    const get = async (k: string) => ((await redis.config('GET', k)) as string[])[1] ?? '?';
    return `appendonly=${await get('appendonly')} appendfsync=${await get('appendfsync')} save='${await get('save')}'`;
  } catch (err) {
    return `CONFIG GET refused (${(err as Error).message}): durability unknown`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. The baseline: redis-benchmark, 50 clients, no pipelining.

function redisBenchmark(url: string, tests = 'set,get'): { lines: string[]; set: number; get: number } {
  const u = new URL(url);
  const cmd = ['-h', u.hostname, '-p', u.port || '6379', '-t', tests, '-n', '100000', '-P', '1', '-q'];
  if (u.password) cmd.push('-a', decodeURIComponent(u.password), '--no-auth-warning');
  if (u.username) cmd.push('--user', decodeURIComponent(u.username));
  if (u.protocol === 'rediss:') cmd.push('--tls');
  const r = spawnSync('redis-benchmark', cmd, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.error?.message ?? ''} ${r.stderr}`);
  // -q overwrites a progress line with \r; the results are the lines with "requests per second".
  const lines = r.stdout
    .split(/[\r\n]+/)
    .filter((l) => l.includes('requests per second'))
    .map((l) => l.trim());
  const rate = (name: string) => Number(lines.find((l) => l.startsWith(`${name}:`))?.match(/([\d.]+) requests per second/)?.[1] ?? NaN);
  return { lines, set: rate('SET'), get: rate('GET') };
}

/**
 * redis-benchmark as above, then removes the key its SET test writes (`key:__rand_int__`) unless it was there
 * before (a shared server given by REDIS_URL).
 */
async function baseline(url: string, tests = 'set,get'): Promise<ReturnType<typeof redisBenchmark>> {
  const probe = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    const hadKey = (await probe.exists('key:__rand_int__')) === 1;
    const base = redisBenchmark(url, tests);
    if (!hadKey) await probe.del('key:__rand_int__');
    return base;
  } finally {
    await probe.quit();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2. The full cycle from one process (this one).

/**
 * The phase's median rate; with `paired`, redis-benchmark's SET is measured again just before each timed run
 * and `ratios` holds each run's messages/s : SET/s (the host's speed drifts by tens of percent over minutes, so
 * a ratio of two figures taken minutes apart says more about the host than about the queue).
 */
async function oneProcess(
  url: string,
  label: string,
  readContent = false,
  floor = false,
  paired = false,
): Promise<{ median: number; ratios: number[] }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const queueOn = (prefix: string) => (floor ? new FloorQueue(redis, prefix) : createRedisStore({ redis, prefix }).queue);
  let previous: string | undefined; // the last cycle's prefix, its keys not yet deleted
  try {
    // Scripts loaded and content reads warmed (the floor cannot read content), then one untimed cycle of the
    // timed size: the figure is a long-running gateway's, not that of its first seconds (JIT, heap growth,
    // Redis growing into memory: the first full cycle after start ran 20-30 % slower on this 2-vCPU VM).
    const warm = freshPrefix('warm');
    await warmUp(redis, warm, queueOn(warm), !floor);
    // The previous cycle's keys are deleted just before the next timed cycle, not right after their own: the
    // memory they free is then reused at once, as a busy gateway reuses the memory of the messages its Redis
    // expires. Freed seconds earlier (before the SET measurement), jemalloc hands much of it back to the
    // kernel, and the timed cycle pays to fault it in and zero it again (0.3-1.4 page faults a message).
    previous = freshPrefix('cold');
    const cold = await runCycle(queueOn(previous), { ...CYCLE, readContent, messages: MESSAGES, idPrefix: 'm' });
    const rates: number[] = [];
    const ratios: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const set = paired ? (await baseline(url, 'set')).set : undefined;
      await deletePrefix(redis, previous);
      const prefix = (previous = freshPrefix('one'));
      const before = await redisSnapshot(redis);
      const r = await runCycle(queueOn(prefix), { ...CYCLE, readContent, messages: MESSAGES, idPrefix: 'm' });
      const d = delta(before, await redisSnapshot(redis));
      const rate = (r.acked / r.ms) * 1000;
      rates.push(rate);
      if (set !== undefined) ratios.push(rate / set);
      console.log(
        `  ${label}, run ${run}/${RUNS}: ${fmt(r.acked)} messages in ${fmt(r.ms / 1000, 2)} s = ${fmt(rate)} messages/s ` +
          `(producer done after ${fmt(r.producedMs / 1000, 2)} s; this process' CPU ${fmt((100 * r.cpuMs) / r.ms)}% of a core = ${fmt((1000 * r.cpuMs) / r.acked)} µs/message)` +
          (set === undefined ? '' : `; SET just before: ${fmt(set)}/s, 1 : ${fmt(set / rate, 1)}`),
      );
      console.log(serverLine(d, r.acked));
    }
    const mid = median(rates);
    console.log(
      `  ${label}: median ${fmt(mid)} messages/s (runs ${fmt(Math.min(...rates))}-${fmt(Math.max(...rates))}; ` +
        `its untimed warm-up cycle: ${fmt((cold.acked / cold.ms) * 1000)})`,
    );
    return { median: mid, ratios };
  } finally {
    if (previous !== undefined) await deletePrefix(redis, previous);
    await redis.quit();
  }
}

// 2b. Two processes on the same prefix: each produces MESSAGES and acks whatever it takes.

async function twoProcesses(url: string): Promise<number> {
  const prefix = freshPrefix('two');
  const workerPath = fileURLToPath(new URL('./lib/queue-worker.js', import.meta.url));
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const children = ['A', 'B'].map((tag) =>
    spawn(process.execPath, [workerPath], {
      env: { ...process.env, REDIS_URL: url, PREFIX: prefix, MESSAGES: String(MESSAGES), PROCS: '2', TAG: tag },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 300_000); // bounded run
  try {
    // Each child prints "ready" after its warm-up, then one JSON line with its result.
    const outputs = children.map((child) => {
      let buf = '';
      const lines: string[] = [];
      const waiters: Array<() => void> = [];
      child.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          waiters.splice(0).forEach((w) => w());
        }
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => (waiters.splice(0).forEach((w) => w()), resolve())));
      const line = async (n: number): Promise<string> => {
        while (lines.length <= n) {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`worker exited (${child.signalCode ?? child.exitCode})`);
          await new Promise<void>((r) => waiters.push(r));
        }
        return lines[n]!;
      };
      return { line, exited };
    });
    await Promise.all(outputs.map((o) => o.line(0)));
    const before = await redisSnapshot(redis);
    children.forEach((c) => c.stdin!.write('go\n'));
    const results = await Promise.all(outputs.map(async (o) => JSON.parse(await o.line(1)) as CycleResult));
    const d = delta(before, await redisSnapshot(redis));
    await Promise.all(outputs.map((o) => o.exited));

    const acked = results.reduce((s, r) => s + r.acked, 0);
    const wall = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
    const combined = (acked / wall) * 1000;
    console.log(`  two processes, combined: ${fmt(acked)} messages in ${fmt(wall / 1000, 2)} s = ${fmt(combined)} messages/s`);
    for (const r of results) {
      console.log(
        `    process ${r.tag}: enqueued ${fmt(r.enqueued)}, acked ${fmt(r.acked)} in ${fmt(r.ms / 1000, 2)} s = ${fmt((r.acked / r.ms) * 1000)} messages/s ` +
          `(CPU ${fmt((100 * r.cpuMs) / r.ms)}% of a core = ${fmt((1000 * r.cpuMs) / r.acked)} µs/message)`,
      );
    }
    console.log(serverLine(d, acked));
    return combined;
  } finally {
    clearTimeout(timer);
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. Enqueue latency: what an edge waits before it can answer "accepted" (the message is then durable).

async function enqueueLatency(url: string, calls = 10_000, inFlight = 16): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const prefix = freshPrefix('lat');
  const { queue } = createRedisStore({ redis, prefix });
  await queue.enqueue(benchMessage('first'), [CONTENT], ['peer-0']); // script load, layout check
  const times: number[] = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) {
        const i = next++;
        const s = process.hrtime.bigint();
        await queue.enqueue(benchMessage(`l-${i}`), [CONTENT], [`peer-${i % PEERS}`]);
        times.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  times.sort((a, b) => a - b);
  console.log(
    `  ${fmt(calls)} enqueues, ${inFlight} in flight: p50 ${fmt(pct(times, 0.5), 2)} ms, p99 ${fmt(pct(times, 0.99), 2)} ms, max ${fmt(times.at(-1)!, 2)} ms ` +
      `(${fmt(calls / wall)} enqueues/s)`,
  );
  await deletePrefix(redis, prefix);
  await redis.quit();
}

// ---------------------------------------------------------------------------------------------------------
// 4. Breakdown: each step on its own, so that INFO commandstats' evalsha line belongs to one script.

async function breakdown(url: string, messages = 10_000): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const prefix = freshPrefix('steps');
  const { queue } = createRedisStore({ redis, prefix });
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const before = await redisSnapshot(redis);
    const cpu0 = process.cpuUsage();
    await fn();
    const cpu = process.cpuUsage(cpu0);
    const d = delta(before, await redisSnapshot(redis));
    const cmds = ['evalsha', 'set', 'mget']
      .map((c) => ({ c, ...d.cmd(c) }))
      .filter((x) => x.calls > 0)
      .map((x) => `${x.c} ${fmt(x.calls)} × ${fmt(x.usec / x.calls, 1)} µs`)
      .join(', ');
    console.log(
      `  ${name.padEnd(26)} ${fmt(messages / d.wallS).padStart(7)} messages/s   server ${fmt(100 * d.serverCpu).padStart(3)}% CPU, ` +
        `client ${fmt((100 * (cpu.user + cpu.system)) / 1e6 / d.wallS).padStart(3)}% CPU   ${cmds}`,
    );
  };
  let jobs: LeasedJob[] = [];
  await step('enqueue (64 in flight)', () =>
    concurrently(messages, (i) => queue.enqueue(benchMessage(`s-${i}`), [CONTENT], [`peer-${i % PEERS}`])),
  );
  await step('take (batches of 32)', async () => (jobs = await takeAll(queue)));
  await step('content (64 in flight)', () => concurrently(jobs.length, (i) => queue.content(jobs[i]!.messageId)));
  await step('ack (64 in flight)', () => concurrently(jobs.length, (i) => queue.ack(jobs[i]!, 'delivered')));
  if (jobs.length !== messages) console.log(`  (took ${jobs.length} of ${messages} jobs!)`);
  await deletePrefix(redis, prefix);
  await redis.quit();
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const idleBefore = await idleShare();
  let server: RedisServer | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    if (!onPath('redis-server')) {
      throw new Error('no REDIS_URL and no redis-server on PATH: set REDIS_URL=redis://host:port or install redis-server');
    }
    server = await startRedis([]);
    url = server.url;
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  console.log(
    `Redis queue bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(100 * idleBefore)}% idle before the run, ${new Date().toISOString()}\n` +
      `Redis ${version} at ${url.replace(/\/\/[^@]*@/, '//***@')} (${server ? 'private server started for this run' : 'REDIS_URL'}), ${await durability(redis)}\n` +
      `messages: 1 recipient (${PEERS} peers), ${CONTENT.length / 1024} KB content; ${fmt(MESSAGES)} per process; ` +
      `enqueue ${CYCLE.inFlight} in flight; take(${CYCLE.batch}, ${CYCLE.perPeer}) whenever one of ${CYCLE.window} delivery slots is free, then ack\n` +
      `each one-process figure: the median of ${RUNS} timed cycles after one untimed cycle of the same size (steady state)`,
  );
  await redis.quit();

  try {
    console.log('\n1. baseline: redis-benchmark -t set,get -n 100000 -P 1 -q (50 clients); SET again before each timed one-process run');
    const base = await baseline(url);
    for (const l of base.lines) console.log(`  ${l}`);

    console.log('\n2. cycle enqueue + take + ack');
    const { median: one, ratios } = await oneProcess(url, 'one process', false, false, true);
    const two = await twoProcesses(url);
    console.log('  with a content read (10 KB, MGET per tick) before each ack, as a delivering worker does:');
    const { median: withContent } = await oneProcess(url, 'one process, + content', true);
    console.log('  the floor: the same cycle on a bare queue (bench/lib/queue-floor.ts: durable content and message, one ready set,');
    console.log('  leases; none of per-peer scheduling, state, history, fencing, expiry), what this client and Redis allow at best:');
    const { median: floor } = await oneProcess(url, 'one process, floor', false, true);

    console.log('\n3. enqueue latency');
    await enqueueLatency(url);

    console.log('\n4. steps one at a time (10,000 messages each; server µs per call from INFO commandstats)');
    await breakdown(url);

    let aof: number | undefined;
    if (flag('aof')) {
      console.log('\n5. one process against a private server with --appendonly yes --appendfsync everysec');
      const s = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
      try {
        const r = new Redis(s.url);
        console.log(`  ${await durability(r)}`);
        await r.quit();
        aof = (await oneProcess(s.url, 'one process, AOF everysec')).median;
      } finally {
        await s.stop();
      }
    }

    // Each timed run against the SET rate measured just before it; the target is judged on their median.
    const ratio = median(ratios);
    console.log('\nsummary');
    console.log(
      `  enqueue + take + ack, one process: ${fmt(one)} messages/s${aof === undefined ? '' : ` (AOF everysec: ${fmt(aof)})`}; two processes: ${fmt(two)} messages/s; ` +
        `one process with a content read: ${fmt(withContent)} messages/s (1 : ${fmt(base.set / withContent, 1)})`,
    );
    console.log(`  redis-benchmark SET (-P 1): ${fmt(base.set)} requests/s at the start; GET: ${fmt(base.get)} requests/s`);
    console.log(
      `  ratio one-process messages/s : SET requests/s, each run against the SET measured just before it: ` +
        `${ratios.map((r) => `1 : ${fmt(1 / r, 1)}`).join(', ')}; median ${fmt(ratio, 3)} (1 : ${fmt(1 / ratio, 1)})`,
    );
    console.log(
      `  floor (bare queue, same shape): ${fmt(floor)} messages/s = 1 : ${fmt(base.set / floor, 1)} of the start's SET; ` +
        `the gateway's queue runs at ${fmt((100 * one) / floor)}% of its floor`,
    );
    console.log(`  target >= ${fmt(TARGET)} messages/s through one process: ${one >= TARGET ? 'MET' : 'NOT MET'}`);
    console.log(`  target within 5x of SET (median ratio >= 0.2): ${ratio >= 0.2 ? 'MET' : 'NOT MET'}`);
    // Client, Redis and (for two processes) a second client share the CPUs: other load skews every figure.
    const busy = idleBefore < 0.9;
    console.log(
      `  CPU idle before the run: ${fmt(100 * idleBefore)}% of ${cpus().length} CPUs${busy ? ': other work was running, the figures are low and noisy' : ''}`,
    );
  } finally {
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
