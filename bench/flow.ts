/**
 * The whole message flow, measured (issue 21, section 4). One transaction:
 *
 *   VASP --MM7 SubmitReq (50 KB JPEG + text, DeliveryReport=true)--> gateway --queue (Redis)--> WAP push
 *   over SMPP --> SMSC simulator --> handset: GET of the Content-Location, m-acknowledge-ind --> gateway -->
 *   MM7 DeliveryReportReq (Retrieved) --> the VASP's receiver.
 *
 * It is complete when the report reaches the VASP; its latency runs from the SubmitReq's start to then.
 *
 * The gateway is the real one (src/gateway.ts: MM7 and MM1 listeners, delivery workers, report pump, SMPP
 * edge) on Redis (`--redis`, else REDIS_URL, else a private redis-server without persistence), in a child
 * process (`--server` mode of this file) as in production. The load side is this process: the VASP (the
 * SubmitReq of bench/mm7.ts, each to its own recipient +1555xxxxxx, over keep-alive connections), the VASP's
 * receiver, the SMSC simulator (test/helpers/smsc.ts) and the handsets, which fetch as soon as their push is
 * at the SMSC (bench/lib/flow-peers.ts). Loopback only.
 *
 * The gateway's throttles (VASP rate and in-flight, push rate, SMSC rate and window, delivery rate to the
 * VASP) are configured far above the load, as an operator sizes them for the traffic: they are deployment
 * settings, not the gateway's speed. Everything else is the default configuration (queue.concurrency 64).
 *
 * Load: closed loop over whole transactions. `--window` (128) transactions are in flight at any time: a new
 * SubmitReq goes out when a report comes back, so the gateway's queue cannot grow without bound and the rate
 * is the flow's own. `--warmup` (500) transactions complete first (not counted), then the measured run lasts
 * until `--transactions` (5,000) more have completed or `--seconds` (30) have passed; the transactions in
 * flight then finish, and the bench stops by itself. If no report arrives for 20 s the run is abandoned as
 * stalled, and the counters say where the flow stopped.
 *
 * Printed: complete transactions per second, submit-to-report latency p50/p90/p99/max, CPU µs per
 * transaction of the gateway, redis-server and the load side (utime + stime of /proc/<pid>/stat before and
 * after the measured run), the whole machine's, the Redis commands that took the most time, and
 * `redis-benchmark -t set -P 1` SET/s measured just before the run with the issue's ratio: transactions per
 * second per 120 SET/s (target >= 1). `--profile` records a CPU profile of the gateway over the measured run
 * and prints where its time went (the .cpuprofile file is kept).
 *
 * Options: --transactions=5000 --seconds=30 --warmup=500 --window=128 --connections=64 --redis=URL --profile
 * --log=silent --set-requests=100000. Run with `npm run build && node dist/bench/flow.js`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ConfigSchema } from '../src/ops/config.js';
import { startSmsc } from '../test/helpers/smsc.js';
import { forkMeasuredServer, serveOverIpc, type MeasuredServer } from './lib/child.js';
import { HandsetFleet, httpExchange, VaspReceiver, type DeliveryReport } from './lib/flow-peers.js';
import { ProcCpuMeter, procCpuUs, procIo, type ProcIo } from './lib/proc-cpu.js';
import { redisSetRate } from './lib/redis-benchmark.js';
import {
  commandsPer,
  fmt,
  idleShare,
  machineCpu,
  pct,
  processMeter,
  profileSummary,
  readProfile,
  redisDelta,
  redisSnapshot,
  type ProcessStats,
} from './lib/measure.js';
import { benchJpeg, submitReq, VASP } from './mm7.js';
import { deletePrefix } from './lib/queue-worker.js';
import { benchRedis } from './lib/redis-server.js';
import { startBenchGateway } from './lib/bench-gateway.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberArg = (name: string, dflt: number) => Number(stringArg(name) ?? dflt);

/** The issue's target: at least one complete transaction per second for every 120 SET/s of redis-benchmark. */
const SET_PER_TX = 120;
const SECRET = 'mmsc-bench-flow-token-secret-0123456789';
const PUBLIC_URL = 'http://mmsc.bench.test/mms';
const SMSC_ID = 'mmsc';
const SMSC_PASSWORD = 'secret';
const JPEG_BYTES = 50 * 1024;
/** submitReq(i) addresses +1555 and six digits of i: one recipient per transaction up to here. */
const MAX_TRANSACTIONS = 1_000_000;
const STALL_MS = 20_000;
const DRAIN_MS = 15_000;
/** Far above any load this host can make: throttles that are never the limit. */
const UNLIMITED_RATE = 1e6;

// ---------------------------------------------------------------------------------------------------------
// The gateway child.

interface ServerOptions {
  redisUrl: string;
  prefix: string;
  smscPort: number;
  vaspUrl: string;
  logLevel: string;
  profileDir: string | undefined;
}

function gatewayConfig(o: ServerOptions) {
  return ConfigSchema.parse({
    redis: { url: o.redisUrl },
    queue: { prefix: o.prefix },
    ops: { port: 0 },
    log: { level: o.logLevel },
    mm7: { port: 0, vasps: [{ ...VASP, url: o.vaspUrl, deliveryRate: UNLIMITED_RATE, deliveryBurst: 10_000, deliveryMaxInFlight: 1_000 }] },
    mm1: {
      port: 0,
      publicUrl: PUBLIC_URL,
      tokenSecret: SECRET,
      localPrefixes: ['+1555'],
      pushRate: UNLIMITED_RATE,
      pushMaxInFlight: 1_000,
    },
    smpp: {
      smscs: [
        {
          id: 'sim',
          host: '127.0.0.1',
          port: o.smscPort,
          systemId: SMSC_ID,
          password: SMSC_PASSWORD,
          sourceAddr: '6000',
          window: 100,
          rate: UNLIMITED_RATE,
          burst: 10_000,
          maxInFlight: 1_000,
        },
      ],
    },
  });
}

/** `--server` mode: the gateway in this process; its "url" is the MM7 and the MM1 listener, space-separated. */
async function serverChild(): Promise<void> {
  const o: ServerOptions = {
    redisUrl: stringArg('redis')!,
    prefix: stringArg('prefix')!,
    smscPort: numberArg('smsc-port', 0),
    vaspUrl: stringArg('vasp-url')!,
    logLevel: stringArg('log') ?? 'silent',
    profileDir: stringArg('profile-dir'),
  };
  const { gw, listeners } = await startBenchGateway(gatewayConfig(o), o.logLevel);
  const at = (iface: string) => listeners.find((l) => l.iface === iface)!.address;
  const meter = processMeter(o.profileDir ? { dir: o.profileDir, name: 'flow-gateway' } : undefined);
  serveOverIpc<ProcessStats>({
    url: `${at('mm7')} ${at('mm1')}`,
    mark: () => meter.mark(),
    read: () => meter.read(),
    close: () => gw.stop(),
  });
}

function forkServer(o: ServerOptions): Promise<MeasuredServer<ProcessStats>> {
  const argv = [
    '--server',
    `--redis=${o.redisUrl}`,
    `--prefix=${o.prefix}`,
    `--smsc-port=${o.smscPort}`,
    `--vasp-url=${o.vaspUrl}`,
    `--log=${o.logLevel}`,
  ];
  if (o.profileDir) argv.push(`--profile-dir=${o.profileDir}`);
  return forkMeasuredServer<ProcessStats>(fileURLToPath(import.meta.url), argv, 'flow gateway');
}

// ---------------------------------------------------------------------------------------------------------
// The flow: transactions in a closed loop.

interface Open {
  start: number;
  resolve: (r: DeliveryReport | undefined) => void;
}

interface FlowOptions {
  mm7Url: string;
  warmup: number;
  transactions: number;
  seconds: number;
  window: number;
  /** Called once the warm-up is complete (the measured run starts) and once it ends (the synchronous part of onEnd at that moment). */
  onMark: () => Promise<void>;
  onEnd: () => Promise<void>;
}

interface FlowResult {
  /** Measured run, ms. */
  durationMs: number;
  /** Submit-to-report latencies (ms) of the transactions completed in the measured run, sorted. */
  latencies: Float64Array;
  warmupMs: number;
  submitted: number;
  /** SubmitReq not answered 1000, and the first answers of that kind. */
  refused: number;
  refusals: string[];
  reports: Map<string, number>;
  /** Reports for no transaction in flight (a second one, or one after the transaction was given up). */
  strayReports: number;
  stalled: boolean;
  /** Transactions still without a report when the bench stopped. */
  unfinished: number;
}

class Flow {
  private readonly open = new Map<string, Open>();
  private readonly latencies: number[] = [];
  private readonly reports = new Map<string, number>();
  private readonly refusals: string[] = [];
  private next = 0;
  private completed = 0;
  private refused = 0;
  private stray = 0;
  private phase: 'warmup' | 'measured' | 'draining' = 'warmup';
  private t0 = 0;
  private t1 = 0;
  private tStart = 0;
  private lastReport = 0;
  private stalled = false;
  private measuredDone: (() => void) | undefined;
  private ended: Promise<void> | undefined;

  constructor(
    private readonly o: FlowOptions,
    private readonly agent: Agent,
    private readonly jpeg: Buffer,
  ) {}

  /** A DeliveryReportReq reached the VASP. */
  report(r: DeliveryReport): void {
    const tx = this.open.get(r.recipient);
    if (!tx) return void this.stray++;
    this.open.delete(r.recipient);
    const now = performance.now();
    this.lastReport = now;
    if (this.phase === 'measured') {
      this.latencies.push(now - tx.start);
      this.reports.set(r.status, (this.reports.get(r.status) ?? 0) + 1);
    }
    this.completed++;
    if (this.phase === 'warmup' && this.completed >= this.o.warmup) this.startMeasured(now);
    else if (this.phase === 'measured' && this.latencies.length >= this.o.transactions) this.endMeasured(now);
    tx.resolve(r);
  }

  private startMeasured(now: number): void {
    this.phase = 'measured';
    this.t0 = now;
    const done = new Promise<void>((resolve) => (this.measuredDone = resolve));
    void this.o.onMark().then(async () => {
      const timer = setTimeout(() => this.endMeasured(performance.now()), this.o.seconds * 1000);
      await done;
      clearTimeout(timer);
    });
  }

  /** The measured run ends (a stall in the warm-up ends it before it began: nothing measured). */
  private endMeasured(now: number): void {
    if (this.phase === 'draining') return;
    if (this.phase === 'warmup') this.t0 = now;
    this.phase = 'draining';
    this.t1 = now;
    this.ended = this.o.onEnd(); // its synchronous part reads the CPU counters now
    this.measuredDone?.();
  }

  /** One slot of the window: SubmitReq, wait for its report, again, until the measured run is over. */
  private async slot(): Promise<void> {
    while (this.phase !== 'draining' && !this.stalled && this.next < MAX_TRANSACTIONS) {
      const i = this.next++;
      const req = submitReq(i, this.jpeg);
      const recipient = `1555${String(1_000_000 + i).slice(1)}`; // as submitReq writes it
      const reported = new Promise<DeliveryReport | undefined>((resolve) =>
        this.open.set(recipient, { start: performance.now(), resolve }),
      );
      const a = await httpExchange(this.agent, this.o.mm7Url, { method: 'POST', headers: req.headers, body: req.body }).catch(
        (err: Error) => ({ status: 0, body: Buffer.from(err.message) }),
      );
      const code = /<(?:[\w-]+:)?StatusCode>\s*(\d+)/.exec(a.body.toString('utf8'))?.[1];
      if (a.status !== 200 || code !== '1000') {
        this.refused++;
        if (this.refusals.length < 5)
          this.refusals.push(`HTTP ${a.status} StatusCode ${code ?? '-'}: ${a.body.toString('utf8').slice(0, 200)}`);
        this.open.delete(recipient);
        await sleep(10);
        continue;
      }
      await reported;
    }
  }

  async run(): Promise<FlowResult> {
    this.tStart = performance.now();
    this.lastReport = this.tStart;
    const watchdog = setInterval(() => {
      if (this.phase !== 'draining' && performance.now() - this.lastReport > STALL_MS) {
        this.stalled = true;
        this.endMeasured(performance.now());
        for (const tx of this.open.values()) tx.resolve(undefined);
      }
    }, 500);
    const slots = Array.from({ length: this.o.window }, () => this.slot());
    // The measured run ends (or the flow stalls); then what is in flight finishes, within DRAIN_MS.
    while (this.phase !== 'draining') await sleep(50);
    await this.ended;
    const drained = Promise.all(slots);
    const late = setTimeout(() => {
      for (const tx of this.open.values()) tx.resolve(undefined);
    }, DRAIN_MS);
    await drained;
    clearTimeout(late);
    clearInterval(watchdog);
    return {
      durationMs: this.t1 - this.t0,
      latencies: Float64Array.from(this.latencies).sort(),
      warmupMs: this.t0 - this.tStart,
      submitted: this.next,
      refused: this.refused,
      refusals: this.refusals,
      reports: this.reports,
      strayReports: this.stray,
      stalled: this.stalled,
      unfinished: this.open.size,
    };
  }

  /** Completed so far (warm-up included). */
  get done(): number {
    return this.completed;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** redis-server's pid when it runs on this host and /proc can read it, else undefined. */
async function redisPid(admin: Redis, started: number | undefined): Promise<number | undefined> {
  if (started !== undefined) return started;
  const pid = Number(/^process_id:(\d+)/m.exec(await admin.info('server'))?.[1]);
  return Number.isInteger(pid) && Number.isFinite(procCpuUs(pid)) ? pid : undefined;
}

async function main(): Promise<void> {
  const transactions = numberArg('transactions', 5_000);
  const seconds = numberArg('seconds', 30);
  const warmup = numberArg('warmup', 500);
  const window = numberArg('window', 128);
  const connections = numberArg('connections', 64);
  const logLevel = stringArg('log') ?? 'silent';
  const profileDir = flag('profile') ? mkdtempSync(join(tmpdir(), 'mmsc-bench-flow-prof-')) : undefined;
  if (warmup + transactions + window > MAX_TRANSACTIONS) throw new Error(`at most ${MAX_TRANSACTIONS} transactions in one run`);
  const idleBefore = await idleShare();

  const { url: redisUrl, server: redisServer } = await benchRedis(stringArg('redis') ?? process.env.REDIS_URL);
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const prefix = `mmsc-bench-flow-${randomBytes(4).toString('hex')}`;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const mm1Agent = new Agent({ keepAlive: true, maxSockets: connections });
  const jpeg = benchJpeg(JPEG_BYTES);
  let fleet: HandsetFleet | undefined;
  let flow: Flow | undefined;
  // The handsets hear of a push once the SMSC has answered its submit_sm (the answer is written before the
  // next turn of the event loop; statusFor is the simulator's per-submit hook).
  const smsc = await startSmsc({
    systemId: SMSC_ID,
    password: SMSC_PASSWORD,
    record: false,
    statusFor: (s) => (setImmediate(() => fleet?.onSubmit(s)), 0),
  });
  const receiver = new VaspReceiver((r) => flow?.report(r));
  await receiver.start();
  let server: MeasuredServer<ProcessStats> | undefined;
  try {
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    server = await forkServer({ redisUrl, prefix, smscPort: smsc.port, vaspUrl: receiver.url, logLevel, profileDir });
    const [mm7Url, mm1Url] = server.url.split(' ') as [string, string];
    fleet = new HandsetFleet(mm1Url, mm1Agent);
    const rPid = await redisPid(admin, redisServer?.pid);
    const meter = new ProcCpuMeter(
      new Map([
        ['gateway', server.pid],
        ['redis-server', rPid],
        ['load side', process.pid],
      ]),
    );

    console.log(
      `flow bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(100 * idleBefore)}% idle before the run, ${new Date().toISOString()}\n` +
        `Redis ${version} at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (${redisServer ? 'private server started for this run, no persistence' : "given: its CPU includes other clients' work"}${rPid ? `, pid ${rPid}` : ', not on this host: CPU from INFO'}); ` +
        `gateway (MM7 + MM1 + workers + SMPP edge) in child pid ${server.pid}; VASP, VASP receiver, SMSC simulator and handsets in this process (pid ${process.pid})\n` +
        `one transaction: SubmitReq (text + ${fmt(JPEG_BYTES)} B JPEG, ${fmt(submitReq(0, jpeg).body.length)} B body, DeliveryReport) -> push -> GET + m-acknowledge-ind -> DeliveryReportReq; ` +
        `${window} in flight, ${connections} connections per side; warm-up ${fmt(warmup)}, then ${fmt(transactions)} or ${seconds} s`,
    );
    const setRate = await redisSetRate(redisUrl, numberArg('set-requests', 100_000));
    console.log(
      `redis-benchmark -t set -P 1 just before the run: ${fmt(setRate)} SET/s (target on this day: >= ${fmt(setRate / SET_PER_TX)} tx/s)`,
    );

    let redis0 = await redisSnapshot(admin);
    let redis1 = redis0;
    let machine0 = machineCpu();
    let redisCost = redisDelta(redis0, redis0);
    const ioPids = new Map([
      ['gateway', server.pid],
      ['redis-server', rPid],
      ['load side', process.pid],
    ]);
    const ioRead = () => new Map([...ioPids].map(([name, pid]) => [name, procIo(pid)]));
    let io0 = ioRead();
    let io1 = io0;
    let machineMs = 0;
    let cpu = new Map<string, number>();
    let stats: ProcessStats | undefined;
    const activeServer = server;
    flow = new Flow(
      {
        mm7Url,
        warmup,
        transactions,
        seconds,
        window,
        async onMark() {
          meter.mark();
          io0 = ioRead();
          machine0 = machineCpu();
          [redis0] = await Promise.all([redisSnapshot(admin), activeServer.mark()]);
        },
        async onEnd() {
          cpu = meter.read();
          io1 = ioRead();
          machineMs = machineCpu().busyMs - machine0.busyMs;
          const [r1, s] = await Promise.all([redisSnapshot(admin), activeServer.read()]);
          redis1 = r1;
          redisCost = redisDelta(redis0, r1);
          stats = s;
        },
      },
      agent,
      jpeg,
    );
    const r = await flow.run();

    const n = r.latencies.length;
    const rate = (1000 * n) / Math.max(1, r.durationMs);
    const per = (us: number) => (Number.isFinite(us) ? `${fmt(us / Math.max(1, n))} µs` : 'n/a');
    const redisUs = Number.isFinite(cpu.get('redis-server') ?? NaN) ? cpu.get('redis-server')! : 1000 * redisCost.cpuMs;
    const processesUs = (cpu.get('gateway') ?? NaN) + redisUs + (cpu.get('load side') ?? NaN);
    const f = fleet.counts;
    console.log(`  warm-up: ${fmt(warmup)} transactions complete after ${fmt(r.warmupMs / 1000, 1)} s (not counted)`);
    console.log(
      `  measured: ${fmt(n)} complete transactions in ${fmt(r.durationMs / 1000, 2)} s = ${fmt(rate, 1)} tx/s; reports ${[...r.reports].map(([s, k]) => `${s} ${fmt(k)}`).join(', ') || 'none'}`,
    );
    console.log(
      `  submit-to-report latency (ms): p50 ${fmt(pct(r.latencies, 0.5), 1)}, p90 ${fmt(pct(r.latencies, 0.9), 1)}, p99 ${fmt(pct(r.latencies, 0.99), 1)}, max ${fmt(r.latencies[n - 1] ?? NaN, 1)}`,
    );
    console.log(
      `  CPU per transaction: gateway ${per(cpu.get('gateway') ?? NaN)}, redis-server ${per(redisUs)}${rPid ? '' : ' (INFO cpu)'}, load side ${per(cpu.get('load side') ?? NaN)}; ` +
        `the three ${per(processesUs)}, whole machine ${per(1000 * machineMs)} (kernel, softirq and other processes: ${per(1000 * machineMs - processesUs)})`,
    );
    if (stats) console.log(`  gateway: event loop busy ${fmt(100 * stats.elu)}% of the measured run, RSS ${fmt(stats.rssMb)} MB`);
    console.log(`  Redis commands by server time: ${redisCost.commands}`);
    console.log(`  Redis commands per transaction: ${commandsPer(redis0, redis1, n)}`);
    const ioPer = (name: string, field: keyof ProcIo) => fmt((io1.get(name)![field] - io0.get(name)![field]) / Math.max(1, n), 1);
    console.log(
      `  I/O per transaction (write(2)-family calls / bytes, read(2)-family calls / bytes): ${[...ioPids.keys()]
        .map((name) => `${name} ${ioPer(name, 'syscw')} / ${ioPer(name, 'wchar')} B, ${ioPer(name, 'syscr')} / ${ioPer(name, 'rchar')} B`)
        .join('; ')}`,
    );
    console.log(
      `  whole run: ${fmt(r.submitted)} SubmitReq sent (${fmt(r.refused)} refused), ${fmt(f.notifications)} notifications at the SMSC (${fmt(f.segments)} submit_sm), ` +
        `${fmt(f.retrieved)} retrieved, ${fmt(f.acknowledged)} acknowledged, ${fmt(flow.done)} reports for a transaction, ${fmt(r.strayReports)} stray; ${fmt(f.errors)} handset errors; ` +
        `VASP receiver got ${[...receiver.kinds].map(([k, c]) => `${k} ${fmt(c)}`).join(', ') || 'nothing'}`,
    );
    for (const e of [...r.refusals, ...fleet.errors]) console.log(`    ${e}`);
    if (stats?.profile)
      for (const l of profileSummary(`gateway profile ${stats.profile}`, readProfile(stats.profile), { functions: 30 }))
        console.log(`  ${l}`);
    const ratio = (rate * SET_PER_TX) / setRate;
    console.log(
      `\nsummary: ${fmt(rate, 1)} complete tx/s, p50 ${fmt(pct(r.latencies, 0.5), 1)} ms, p99 ${fmt(pct(r.latencies, 0.99), 1)} ms; ` +
        `CPU/tx gateway ${per(cpu.get('gateway') ?? NaN)}, redis-server ${per(redisUs)}, load side ${per(cpu.get('load side') ?? NaN)}; ` +
        `SET/s ${fmt(setRate)}; ratio ${fmt(ratio, 3)} tx per ${SET_PER_TX} SET/s (target >= 1: ${ratio >= 1 ? 'met' : 'not met'})`,
    );
    if (r.stalled)
      console.log(
        `  STALLED: no DeliveryReportReq for ${STALL_MS / 1000} s; ${fmt(r.unfinished)} transactions without a report (see the counts above for where the flow stopped)`,
      );
    else if (r.unfinished > 0)
      console.log(`  NOTE: ${fmt(r.unfinished)} transactions in flight at the end got no report within ${DRAIN_MS / 1000} s`);
    if (idleBefore < 0.9)
      console.log(`  CPU idle just before the run: ${fmt(100 * idleBefore)}% (other work was running then: low, noisy figures)`);
    if (r.stalled) process.exitCode = 1;
  } finally {
    await server?.close();
    const deleted = await deletePrefix(admin, prefix);
    console.log(`  (${fmt(deleted)} keys of ${prefix} deleted)`);
    agent.destroy();
    mm1Agent.destroy();
    await smsc.stop();
    await receiver.stop();
    await admin.quit();
    await redisServer?.stop();
  }
}

if (flag('server')) await serverChild();
else await main();
