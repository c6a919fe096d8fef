/**
 * Measuring a benchmark run, shared by the benches (bench/mm1.ts, bench/mm7.ts, bench/smpp.ts, bench/queue.ts):
 * the load (autocannon, every answer's latency), what the run cost (CPU of a process, of the machine and of
 * redis-server, Redis command time, event-loop utilisation, a CPU profile and its summary), and the figures'
 * formatting. What a bench sends, counts and prints around these stays in the bench.
 */
import autocannon from 'autocannon';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

// ---------------------------------------------------------------------------------------------------------
// Figures.

/** `n` with thousands separators and exactly `digits` decimals. */
export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The `p` quantile (0..1, nearest rank) of ascending `sorted`; NaN when it is empty. */
export const pct = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

/** The median of `xs` (the upper one of an even count), unsorted input. */
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** "latency (ms, every answer): p50 …, p90 …, p99 …, max …" of ascending latencies in ms. */
export const latencyLine = (sorted: ArrayLike<number>) =>
  `latency (ms, every answer): p50 ${fmt(pct(sorted, 0.5), 1)}, p90 ${fmt(pct(sorted, 0.9), 1)}, p99 ${fmt(pct(sorted, 0.99), 1)}, max ${fmt(sorted[sorted.length - 1] ?? NaN, 1)}`;

// ---------------------------------------------------------------------------------------------------------
// The machine.

/**
 * CPU time of the whole machine so far (ms, summed over CPUs): from /proc/stat, which counts softirq (the
 * loopback TCP work) and steal, else from os.cpus().
 */
export function machineCpu(): { busyMs: number; totalMs: number } {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busyMs: 10 * busy, totalMs: 10 * (busy + idle! + iowait!) }; // USER_HZ = 100
  } catch {
    const t = cpus().reduce(
      (a, c) => ({ busy: a.busy + c.times.user + c.times.nice + c.times.sys + c.times.irq, idle: a.idle + c.times.idle }),
      { busy: 0, idle: 0 },
    );
    return { busyMs: t.busy, totalMs: t.busy + t.idle };
  }
}

/** Share of the machine's CPU time that was idle over `ms`: other work there lowers every figure. */
export async function idleShare(ms = 1_000): Promise<number> {
  const a = machineCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpu();
  return 1 - (b.busyMs - a.busyMs) / (b.totalMs - a.totalMs);
}

// ---------------------------------------------------------------------------------------------------------
// Redis accounting: CPU (INFO cpu) and per-command time (INFO commandstats), as deltas between snapshots.

export interface CommandStat {
  calls: number;
  usec: number;
}

export interface RedisSnapshot {
  /** process.hrtime.bigint() once INFO has answered. */
  at: bigint;
  /** redis-server CPU seconds so far, user + sys. */
  cpuS: number;
  /**
   * redis-server's minor page faults so far (/proc/<pid>/stat), NaN when that is not readable (Redis on
   * another machine). Memory that jemalloc gave back to the kernel after an idle spell is faulted in and
   * zeroed again on next use: a few µs a page, which a run after a pause pays and a busy server does not.
   */
  faults: number;
  cmds: Map<string, CommandStat>;
}

/** Minor page faults of process `pid` (field 10 of /proc/<pid>/stat), NaN when unreadable. */
function minorFaults(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return NaN;
  }
}

export async function redisSnapshot(redis: Redis): Promise<RedisSnapshot> {
  const [cpu, cmd, server] = await Promise.all([redis.info('cpu'), redis.info('commandstats'), redis.info('server')]);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  const cmds = new Map<string, CommandStat>();
  for (const m of cmd.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) cmds.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  const pid = Number(/^process_id:(\d+)/m.exec(server)?.[1]);
  return {
    at: process.hrtime.bigint(),
    cpuS: field('used_cpu_user') + field('used_cpu_sys'),
    faults: Number.isInteger(pid) ? minorFaults(pid) : NaN,
    cmds,
  };
}

/** Calls of command `name` and their server time between two snapshots. */
export function commandDelta(a: RedisSnapshot, b: RedisSnapshot, name: string): CommandStat {
  const x = a.cmds.get(name) ?? { calls: 0, usec: 0 };
  const y = b.cmds.get(name) ?? { calls: 0, usec: 0 };
  return { calls: y.calls - x.calls, usec: y.usec - x.usec };
}

export interface RedisCost {
  cpuMs: number;
  /** The 5 commands with the most server time (INFO left out): "name calls × µs per call, …". */
  commands: string;
}

/** Every command called between two snapshots (INFO left out), as "name calls/n" per unit of work, most calls first. */
export function commandsPer(a: RedisSnapshot, b: RedisSnapshot, n: number): string {
  return [...b.cmds.keys()]
    .map((name) => ({ name, ...commandDelta(a, b, name) }))
    .filter((c) => c.calls > 0 && c.name !== 'info')
    .sort((x, y) => y.calls - x.calls)
    .map((c) => `${c.name} ${fmt(c.calls / Math.max(1, n), 2)}`)
    .join(', ');
}

/** redis-server CPU and the commands with the most server time between two snapshots. */
export function redisDelta(a: RedisSnapshot, b: RedisSnapshot): RedisCost {
  const cmds = [...b.cmds.keys()]
    .map((name) => ({ name, ...commandDelta(a, b, name) }))
    .filter((c) => c.calls > 0 && c.name !== 'info')
    .sort((x, y) => y.usec - x.usec)
    .slice(0, 5);
  return {
    cpuMs: 1000 * (b.cpuS - a.cpuS),
    commands: cmds.map((c) => `${c.name} ${fmt(c.calls)} × ${fmt(c.usec / c.calls, 1)} µs`).join(', '),
  };
}

// ---------------------------------------------------------------------------------------------------------
// CPU profiles (node:inspector, Chrome DevTools format) and their summary: self time by function and by
// file/package.

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface Profiler {
  /** Stops profiling this process; the profile since the start. */
  stop(): Promise<CpuProfile>;
}

/** Starts profiling this process. */
export async function startProfiler(): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

export const readProfile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/** A profile's summary lines: `title (N ms sampled; self time)`, the top `files` files/packages, the top `functions` functions. */
export function profileSummary(title: string, profile: CpuProfile, { functions = 20, files = 15 } = {}): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fns = new Map<string, number>();
  const groups = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const f = byId.get(id)!;
    total += dt;
    const where = shortUrl(f.url);
    const fn = `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    const group = where ? fileGroup(where) : f.functionName; // (program), (garbage collector), (idle)
    groups.set(group, (groups.get(group) ?? 0) + dt);
  });
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, us]) => `    ${fmt((100 * us) / total, 1).padStart(5)}%  ${fmt(us / 1000).padStart(6)} ms  ${k}`);
  return [
    `${title} (${fmt(total / 1000)} ms sampled; self time)`,
    '  by file / package:',
    ...rows(groups, files),
    '  by function:',
    ...rows(fns, functions),
  ];
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/dist\//, '');
}

/** node_modules/<pkg> (scoped too), node:internal/<dir>, or the project file. */
function fileGroup(where: string): string {
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return `node_modules/${pkg[1]}`;
  const internal = /^node:internal\/([^/]+)/.exec(where);
  if (internal) return `node:internal/${internal[1]}`;
  return where;
}

// ---------------------------------------------------------------------------------------------------------
// What this process (a server under load) costs over the measured run.

export interface ProcessStats {
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Share of the measured run the event loop was busy (performance.eventLoopUtilization). */
  elu: number;
  rssMb: number;
  /** Path of the .cpuprofile of the measured run, when profiled. */
  profile?: string;
}

export interface ProcessMeter {
  /** The measured run starts: CPU and event loop from here, and the profiler if any. */
  mark(): Promise<void>;
  /** What the run cost since mark(); the profile, if any, is written to a file. */
  read(): Promise<ProcessStats>;
}

/** Meters this process; with `profile`, profiles it from mark() to read() into `<dir>/<name>-<pid>-<ms>.cpuprofile`. */
export function processMeter(profile: { dir: string; name: string } | undefined): ProcessMeter {
  let cpu0 = process.cpuUsage();
  let elu0 = performance.eventLoopUtilization();
  let profiler: Profiler | undefined;
  return {
    async mark() {
      if (profile) profiler = await startProfiler();
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
    },
    async read() {
      const cpu = process.cpuUsage(cpu0);
      const stats: ProcessStats = {
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        elu: performance.eventLoopUtilization(elu0).utilization,
        rssMb: process.memoryUsage.rss() / 1e6,
      };
      if (profiler && profile) {
        const p = await profiler.stop();
        profiler = undefined;
        stats.profile = join(profile.dir, `${profile.name}-${process.pid}-${Date.now()}.cpuprofile`);
        writeFileSync(stats.profile, JSON.stringify(p));
      }
      return stats;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The load (autocannon) and the measured run around it.

/** What each count grew by since `before` (counts that did not grow left out): a server's requests over a run. */
export function countsSince(now: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [k, n] of now) if (n > (before.get(k) ?? 0)) grown[k] = n - (before.get(k) ?? 0);
  return grown;
}

export interface LoadRun {
  durationS: number;
  sent: number;
  /** Every answer's latency (ms, autocannon: request written to answer complete), sorted. */
  latencies: Float64Array;
  errors: number;
  timeouts: number;
  /** Bytes received (headers and bodies). */
  responseBytes: number;
  /** The load generator's (this process') CPU time over the run. */
  cpuMs: number;
}

/** One autocannon run; `onAnswer` sees every answer's HTTP status. */
export function runAutocannon(options: autocannon.Options, onAnswer?: (status: number) => void): Promise<LoadRun> {
  const latencies: number[] = [];
  let responseBytes = 0;
  const cpu0 = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, result) => {
      if (err) return reject(err);
      const cpu = process.cpuUsage(cpu0);
      resolve({
        durationS: result.duration,
        sent: result.requests.sent,
        latencies: Float64Array.from(latencies).sort(),
        errors: result.errors,
        timeouts: result.timeouts,
        responseBytes,
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
    });
    instance.on('response', (_client, status, bytes, ms) => {
      latencies.push(ms);
      responseBytes += bytes;
      onAnswer?.(status);
    });
  });
}

/** A server under load that can be metered: mark() where the measured run starts, read() what it cost. */
export interface Metered<Stats> {
  mark(): Promise<void>;
  read(): Promise<Stats>;
}

export interface Measured<Load, Stats> {
  load: Load;
  stats: Stats;
  redis: RedisCost;
  /** CPU the whole machine spent over the run (ms, summed over CPUs). */
  machineMs: number;
}

/** `run` measured: the server's cost, redis-server's (through `admin`) and the machine's CPU around it. */
export async function measureRun<Load, Stats>(
  admin: Redis,
  server: Metered<Stats>,
  run: () => Promise<Load>,
): Promise<Measured<Load, Stats>> {
  const before = await redisSnapshot(admin);
  await server.mark();
  const machine0 = machineCpu();
  const load = await run();
  const machine1 = machineCpu();
  const stats = await server.read();
  const redis = redisDelta(before, await redisSnapshot(admin));
  return { load, stats, redis, machineMs: machine1.busyMs - machine0.busyMs };
}
