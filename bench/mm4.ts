/**
 * MM4 load benchmark (issue 22, "Benchmark"): MM4_forward.REQ with 50 KB content, both ways. Target on this
 * machine, load generator included: >= 1,000 messages/s each way when `redis-benchmark -t set -P 1` runs at
 * 85 k SET/s, i.e. at least one message/s per 85 SET/s of the same run.
 *
 * Inbound: 16 (`--sessions`) SMTP sessions of a peer carrier send MM4_forward.REQ (text + 50 KB JPEG, base64,
 * as buildMm4 writes it: ~70 KB of DATA) one after another, pipelined (bench/lib/smtp-load.ts: two round
 * trips a message), to the gateway's MM4 listener (src/mm4/server.ts) on the Redis store: a message counts
 * once answered 250, i.e. parsed, through the core intake and queued (one job, one recipient). Latency: from
 * MAIL FROM written to the 250 after the final dot. Each message has its own Transaction-ID and Message-ID.
 *
 * Outbound: the recipients (+1666..., routed to a second peer carrier) are then forwarded by the real worker
 * pool (src/core/worker-pool.ts, default concurrency) through Mm4PeerRoute (src/mm4/peer-route.ts: the
 * content read back from the store, buildMm4, a nodemailer pool of `--out-connections` connections) to an
 * SMTP sink (bench/lib/smtp-sink.ts, smtp-server in its own process). The queue filled by the inbound run is
 * drained; the first `--out-warmup` deliveries are not counted. Latency: one Route.send (content fetch, build,
 * SMTP transaction, including the wait for a free pooled connection).
 *
 * Processes: the gateway (listener, store, workers) in a child (`--server` mode of this file), the sink in
 * another (`--sink`), the load side here; a private redis-server with appendonly yes / appendfsync everysec
 * (production's durability: `--no-aof` turns it off) unless `--redis`/REDIS_URL names one. CPU per message
 * of each process is read from /proc around each measured run.
 *
 * Options: --sessions=16 --duration=10 --warmup=2 --out-connections=16 --out-warmup=500 --redis=URL --no-aof
 * --profile (CPU profile of the gateway over each measured run; summary printed, .cpuprofile kept)
 * --log=silent --set-requests=100000. Run with `npm run build && node dist/bench/mm4.js`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildMm4, parseMm4, type Mm4ForwardReq } from '../protocols/mm4/index.js';
import { StaticRouter } from '../src/core/static-router.js';
import type { Route } from '../src/core/router.js';
import { WorkerPool } from '../src/core/worker-pool.js';
import { MM4_PEER_DEFAULTS } from '../src/mm4/peer-options.js';
import { Mm4PeerRoute } from '../src/mm4/peer-route.js';
import { Mm4Server } from '../src/mm4/server.js';
import { ConfigSchema } from '../src/ops/config.js';
import { Metrics } from '../src/ops/metrics.js';
import { createStore } from '../src/store/index.js';
import { forkBenchChild } from './lib/child.js';
import {
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
import { ProcCpuMeter, procCpuUs } from './lib/proc-cpu.js';
import { redisSetRate } from './lib/redis-benchmark.js';
import { deletePrefix } from './lib/queue-worker.js';
import { benchRedis, onPath, startRedis, type RedisServer } from './lib/redis-server.js';
import { dotStuff, SmtpLoadSession, type Outgoing } from './lib/smtp-load.js';
import { forkSink, sinkChild } from './lib/smtp-sink.js';
import { benchJpeg } from './mm7.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberArg = (name: string, dflt: number) => Number(stringArg(name) ?? dflt);

/** The issue's target: one message/s each way per 85 SET/s of redis-benchmark (1,000/s at 85 k SET/s). */
const SET_PER_MESSAGE = 85;
const OUR_DOMAIN = 'mms.mnc001.mcc001.gprs';
const FROM_DOMAIN = 'mms.mnc002.mcc001.gprs';
const TO_DOMAIN = 'mms.mnc003.mcc001.gprs';
const JPEG_BYTES = 50 * 1024;
const STALL_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------
// The gateway child: MM4 listener + Redis store + worker pool + Mm4PeerRoute to the sink.

type ToGateway = { kind: 'mark' } | { kind: 'read' } | { kind: 'outbound'; warmup: number; total: number } | { kind: 'close' };
type FromGateway =
  | { kind: 'ready'; port: number; durable: boolean | undefined }
  | { kind: 'marked' }
  | { kind: 'stats'; stats: ProcessStats }
  | { kind: 'outbound-marked' }
  | {
      kind: 'outbound-done';
      stats: ProcessStats;
      durationMs: number;
      latencies: number[];
      outcomes: Record<string, number>;
      stalled: boolean;
    }
  | { kind: 'closed' };

async function gatewayChild(): Promise<void> {
  const logLevel = stringArg('log') ?? 'silent';
  const log = pino({ level: logLevel }, logLevel === 'silent' ? undefined : pino.destination('/dev/null'));
  const profileDir = stringArg('profile-dir');
  const config = ConfigSchema.parse({
    redis: { url: stringArg('redis') },
    queue: { prefix: stringArg('prefix') },
    mm4: {
      enabled: true,
      port: 0,
      domains: [OUR_DOMAIN],
      maxMessageBytes: 1024 * 1024,
      // The peer's throttle is a deployment setting far above the load: it is not what is measured.
      peers: [{ id: 'carrier-b', allow: ['127.0.0.1/32'], rate: 1e6, burst: 1e6, maxInFlight: 10_000, maxConnections: 1024 }],
    },
  });
  const store = createStore({ redis: config.redis, queue: config.queue }, log);
  await store.ready();
  const peerRoute = new Mm4PeerRoute(
    {
      ...MM4_PEER_DEFAULTS,
      id: 'carrier-c',
      prefixes: ['+1666'],
      domain: TO_DOMAIN,
      host: '127.0.0.1',
      port: numberArg('sink-port', 0),
      tls: 'none',
      originatorSystem: `system-user@${OUR_DOMAIN}`,
      rate: 1e6,
      burst: 1e6,
      maxConnections: numberArg('out-connections', 16),
    },
    { ownDomain: OUR_DOMAIN, log },
  );
  let measuring = false;
  const latencies: number[] = [];
  const timed: Route = {
    peer: peerRoute.peer,
    limits: peerRoute.limits,
    async send(d) {
      const t0 = performance.now();
      const r = await peerRoute.send(d);
      if (measuring) latencies.push(performance.now() - t0);
      return r;
    },
  };
  const router = new StaticRouter().add((m, i) => m.recipients[i]!.address.startsWith('+1666'), timed, 'mm4 carrier-c');
  const server = new Mm4Server({ config: config.mm4, queue: store.queue, throttle: store.throttle, router, metrics: new Metrics(), log });
  const port = Number(new URL(await server.listen('127.0.0.1', 0)).port);
  const pool = new WorkerPool({ queue: store.queue, throttle: store.throttle, router, log, concurrency: config.queue.concurrency });
  const meter = processMeter(profileDir ? { dir: profileDir, name: 'mm4-gateway' } : undefined);
  const send = (m: FromGateway, then?: () => void) => process.send!(m, undefined, {}, then);

  /** Drains the queue through the pool: marks after `warmup` settled jobs, answers after `total`. */
  const outbound = async (warmup: number, total: number): Promise<FromGateway> => {
    const outcomes: Record<string, number> = {};
    let settled = 0;
    let t0 = performance.now();
    let last = t0;
    let marked = warmup <= 0;
    if (marked) {
      await meter.mark();
      measuring = true;
      send({ kind: 'outbound-marked' });
    }
    const done = new Promise<boolean>((resolve) => {
      const watchdog = setInterval(() => performance.now() - last > STALL_MS && resolve(true), 1000);
      pool.on('outcome', (o) => {
        outcomes[o.state] = (outcomes[o.state] ?? 0) + 1;
        last = performance.now();
        if (o.state === 'retrying' || o.state === 'deferred') return;
        settled++;
        if (!marked && settled >= warmup) {
          marked = true;
          t0 = last;
          measuring = true;
          void meter.mark().then(() => send({ kind: 'outbound-marked' }));
        }
        if (settled >= total) {
          clearInterval(watchdog);
          resolve(false);
        }
      });
    });
    pool.start();
    const stalled = await done;
    const durationMs = last - t0;
    measuring = false;
    const stats = await meter.read();
    return { kind: 'outbound-done', stats, durationMs, latencies: latencies.splice(0), outcomes, stalled };
  };

  process.on('message', (m: ToGateway) => {
    const answer = async (): Promise<FromGateway> => {
      if (m.kind === 'mark') return (await meter.mark(), { kind: 'marked' });
      if (m.kind === 'read') return { kind: 'stats', stats: await meter.read() };
      if (m.kind === 'outbound') return outbound(m.warmup, m.total);
      await pool.stop(1000);
      await server.close();
      peerRoute.close();
      await store.close();
      return { kind: 'closed' };
    };
    answer()
      .then((reply) => send(reply, reply.kind === 'closed' ? () => process.disconnect() : undefined))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  });
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', port, durable: store.durable });
}

// ---------------------------------------------------------------------------------------------------------
// The load: MM4_forward.REQ from carrier B to +1666... (carrier C's subscribers, reached through us).

/** The message's bytes for number `i`: the header block (own ids) and the shared, dot-stuffed body. */
function forwardTemplate(jpeg: Buffer): (i: number) => Outgoing {
  const req: Mm4ForwardReq = {
    type: 'MM4_forward.REQ',
    mmsVersion: '6.10.0',
    transactionId: `bench-tx-@N@@${FROM_DOMAIN}`,
    messageId: `bench-msg-@N@@${FROM_DOMAIN}`,
    originatorSystem: `system-user@${FROM_DOMAIN}`,
    ackRequest: false,
    from: { address: { kind: 'plmn', number: '+15559998888' }, domain: FROM_DOMAIN },
    to: [{ address: { kind: 'plmn', number: '+16660000000' }, domain: OUR_DOMAIN }],
    cc: [],
    deliveryReport: true,
    messageClass: 'Personal',
    priority: 'Normal',
    date: Date.now(),
    rfc822MessageId: `bench-@N@@${FROM_DOMAIN}`,
    subject: 'Benchmark picture',
    content: {
      contentType: { type: 'multipart/related', params: { type: 'text/plain', start: '<text>' } },
      parts: [
        {
          contentType: { type: 'text/plain', params: { charset: 'utf-8' } },
          contentId: 'text',
          body: Buffer.from('A picture from the MM4 bench.'),
        },
        { contentType: { type: 'image/jpeg', params: {} }, contentId: 'picture', contentLocation: 'picture.jpg', body: jpeg },
      ],
    },
  };
  const whole = dotStuff(buildMm4(req));
  const split = whole.indexOf('\r\n\r\n') + 4;
  const head = whole.subarray(0, split).toString('latin1');
  const body = whole.subarray(split);
  if (body[0] === 0x2e) throw new Error('the body starts with a dot: stuff it with the header block');
  return (i) => {
    const n = String(i).padStart(7, '0');
    const rcpt = `+1666${n}`;
    const h = Buffer.from(head.replaceAll('@N@', n).replace('+16660000000', rcpt), 'latin1');
    return {
      mailFrom: `+15559998888/TYPE=PLMN@${FROM_DOMAIN}`,
      rcptTo: `${rcpt}/TYPE=PLMN@${OUR_DOMAIN}`,
      content: [h, body],
      size: h.length + body.length,
    };
  };
}

/**
 * CPU of the codec alone on this message, in this process, warm (a second round of `n`): parseMm4 as the
 * listener calls it, buildMm4 of the parsed forward as Mm4PeerRoute would. Process CPU, GC threads included:
 * steadier than the end-to-end rates on a shared machine.
 */
async function codecCost(m: Outgoing, n = 500): Promise<{ parseUs: number; buildUs: number }> {
  const unstuffed = Buffer.from(
    Buffer.concat(m.content as Buffer[])
      .toString('latin1')
      .replace(/\r\n\.\./g, '\r\n.'),
    'latin1',
  );
  const parsed = await parseMm4(unstuffed);
  let parseUs = 0;
  let buildUs = 0;
  for (let round = 0; round < 2; round++) {
    let c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await parseMm4(unstuffed);
    let c = process.cpuUsage(c0);
    parseUs = (c.user + c.system) / n;
    c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) buildMm4(parsed);
    c = process.cpuUsage(c0);
    buildUs = (c.user + c.system) / n;
  }
  return { parseUs, buildUs };
}

interface InboundRun {
  accepted: number;
  /** Answered 250 over the whole run, warm-up included: the jobs queued. */
  acceptedAll: number;
  refused: number;
  refusals: string[];
  latencies: Float64Array;
  durationMs: number;
}

/** `sessions` closed loops over one message at a time each, for warm-up then `durationS`; `onMark` between. */
async function inbound(
  port: number,
  o: { sessions: number; warmupS: number; durationS: number; message: (i: number) => Outgoing; onMark: () => Promise<void> },
): Promise<InboundRun> {
  const sessions = await Promise.all(Array.from({ length: o.sessions }, () => SmtpLoadSession.open(port)));
  const latencies: number[] = [];
  const refusals: string[] = [];
  let next = 0;
  let accepted = 0;
  let acceptedAll = 0;
  let refused = 0;
  let phase: 'warmup' | 'measured' | 'over' = 'warmup';
  const loop = async (s: SmtpLoadSession) => {
    while (phase !== 'over') {
      const m = o.message(next++);
      const t0 = performance.now();
      const reply = await s.send(m);
      const counted = phase === 'measured';
      if (reply.startsWith('250')) {
        acceptedAll++;
        if (counted) {
          accepted++;
          latencies.push(performance.now() - t0);
        }
      } else {
        if (counted) refused++;
        if (refusals.length < 5) refusals.push(reply);
        if (reply.startsWith('000')) return;
      }
    }
  };
  const loops = sessions.map(loop);
  await new Promise((r) => setTimeout(r, o.warmupS * 1000));
  await o.onMark();
  phase = 'measured';
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.durationS * 1000));
  phase = 'over';
  const durationMs = performance.now() - t0;
  await Promise.all(loops);
  await Promise.all(sessions.map((s) => s.quit().catch(() => undefined)));
  return { accepted, acceptedAll, refused, refusals, latencies: Float64Array.from(latencies).sort(), durationMs };
}

// ---------------------------------------------------------------------------------------------------------

async function redisPid(admin: Redis, started: RedisServer | undefined): Promise<number | undefined> {
  if (started?.pid !== undefined) return started.pid;
  const pid = Number(/^process_id:(\d+)/m.exec(await admin.info('server'))?.[1]);
  return Number.isInteger(pid) && Number.isFinite(procCpuUs(pid)) ? pid : undefined;
}

async function main(): Promise<void> {
  const sessions = numberArg('sessions', 16);
  const durationS = numberArg('duration', 10);
  const warmupS = numberArg('warmup', 2);
  const outWarmup = numberArg('out-warmup', 500);
  const logLevel = stringArg('log') ?? 'silent';
  const profileDir = flag('profile') ? mkdtempSync(join(tmpdir(), 'mmsc-bench-mm4-prof-')) : undefined;
  const idleBefore = await idleShare();

  const given = stringArg('redis') ?? process.env.REDIS_URL;
  let redisServer: RedisServer | undefined;
  let redisUrl: string;
  if (!given && !flag('no-aof') && onPath('redis-server')) {
    redisServer = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
    redisUrl = redisServer.url;
  } else ({ url: redisUrl, server: redisServer } = await benchRedis(given));
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const prefix = `mmsc-bench-mm4-${randomBytes(4).toString('hex')}`;
  const self = fileURLToPath(import.meta.url);
  const sink = await forkSink(self);
  const gwArgv = [
    '--server',
    `--redis=${redisUrl}`,
    `--prefix=${prefix}`,
    `--sink-port=${sink.port}`,
    `--out-connections=${numberArg('out-connections', 16)}`,
    `--log=${logLevel}`,
    ...(profileDir ? [`--profile-dir=${profileDir}`] : []),
  ];
  const gw = forkBenchChild<FromGateway, ToGateway>(self, gwArgv, 'mm4 gateway');
  try {
    const ready = await gw.next('ready');
    const rPid = await redisPid(admin, redisServer);
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    const meter = new ProcCpuMeter(
      new Map([
        ['gateway', gw.child.pid],
        ['redis-server', rPid],
        ['sink', sink.pid],
        ['load side', process.pid],
      ]),
    );
    const message = forwardTemplate(benchJpeg(JPEG_BYTES));
    console.log(
      `mm4 bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(100 * idleBefore)}% idle before the run, ${new Date().toISOString()}\n` +
        `Redis ${version} at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (${redisServer ? 'private server started for this run' : "given: its CPU includes other clients' work"}; the store reports durable=${ready.durable}); ` +
        `gateway in child pid ${gw.child.pid}, SMTP sink in child pid ${sink.pid}, load side pid ${process.pid}\n` +
        `one message: MM4_forward.REQ, text + ${fmt(JPEG_BYTES)} B JPEG, ${fmt(message(0).size)} B of DATA; inbound ${sessions} pipelined SMTP sessions, ${warmupS} s warm-up then ${durationS} s; ` +
        `outbound worker pool -> Mm4PeerRoute (${numberArg('out-connections', 16)} pooled connections) -> sink, the first ${outWarmup} not counted`,
    );
    const codec = await codecCost(message(0));
    console.log(`codec alone on this message (warm, CPU): parseMm4 ${fmt(codec.parseUs)} µs, buildMm4 ${fmt(codec.buildUs)} µs`);
    const setRate = await redisSetRate(redisUrl, numberArg('set-requests', 100_000));
    console.log(
      `redis-benchmark -t set -P 1 just before the run: ${fmt(setRate)} SET/s (target on this day: >= ${fmt(setRate / SET_PER_MESSAGE)} messages/s each way)`,
    );

    // Inbound.
    let machine0 = machineCpu();
    let redis0 = await redisSnapshot(admin);
    const inRun = await inbound(ready.port, {
      sessions,
      warmupS,
      durationS,
      message,
      async onMark() {
        await gw.ask({ kind: 'mark' }, 'marked');
        meter.mark();
        machine0 = machineCpu();
        redis0 = await redisSnapshot(admin);
      },
    });
    const inCpu = meter.read();
    const inMachineMs = machineCpu().busyMs - machine0.busyMs;
    const inRedis = redisDelta(redis0, await redisSnapshot(admin));
    const inStats = (await gw.ask({ kind: 'read' }, 'stats')).stats;
    // Outbound: everything the inbound run queued (warm-up included) goes to the sink.
    if ((await sink.count()).messages !== 0) throw new Error('the sink got messages before the outbound run');
    const total = inRun.acceptedAll;
    const marked = gw.next('outbound-marked');
    const outDone = gw.next('outbound-done');
    gw.child.send({ kind: 'outbound', warmup: Math.min(outWarmup, Math.floor(total / 5)), total } satisfies ToGateway);
    await marked;
    meter.mark();
    machine0 = machineCpu();
    redis0 = await redisSnapshot(admin);
    const out = await outDone;
    const outCpu = meter.read();
    const outMachineMs = machineCpu().busyMs - machine0.busyMs;
    const outRedis = redisDelta(redis0, await redisSnapshot(admin));
    const taken = await sink.count();
    const outLat = Float64Array.from(out.latencies).sort();
    const outN = outLat.length;

    const inRate = (1000 * inRun.accepted) / inRun.durationMs;
    const outRate = (1000 * outN) / Math.max(1, out.durationMs);
    const lat = (l: Float64Array) =>
      `p50 ${fmt(pct(l, 0.5), 1)} ms, p90 ${fmt(pct(l, 0.9), 1)} ms, p99 ${fmt(pct(l, 0.99), 1)} ms, max ${fmt(l[l.length - 1] ?? NaN, 1)} ms`;
    const cpuLine = (cpu: Map<string, number>, n: number, machineMs: number) => {
      const per = (us: number) => (Number.isFinite(us) ? `${fmt(us / Math.max(1, n))} µs` : 'n/a');
      const sum = [...cpu.values()].reduce((a, b) => a + b, 0);
      return `${[...cpu].map(([k, us]) => `${k} ${per(us)}`).join(', ')}; the four ${per(sum)}, whole machine ${per(1000 * machineMs)}`;
    };
    console.log(`\ninbound (peer -> MM4 listener -> intake -> Redis queue):`);
    console.log(
      `  ${fmt(inRun.accepted)} messages answered 250 in ${fmt(inRun.durationMs / 1000, 2)} s = ${fmt(inRate, 1)} messages/s; ${fmt(inRun.refused)} refused; ${fmt(inRun.acceptedAll)} queued in all (warm-up included)`,
    );
    console.log(`  latency (MAIL FROM to 250 after the dot): ${lat(inRun.latencies)}`);
    console.log(`  CPU per message: ${cpuLine(inCpu, inRun.accepted, inMachineMs)}`);
    console.log(
      `  gateway event loop busy ${fmt(100 * inStats.elu)}%, RSS ${fmt(inStats.rssMb)} MB; Redis commands by server time: ${inRedis.commands}`,
    );
    for (const r of inRun.refusals) console.log(`    refused: ${r}`);
    console.log(`outbound (worker pool -> Mm4PeerRoute -> SMTP sink):`);
    console.log(
      `  ${fmt(outN)} forwards in ${fmt(out.durationMs / 1000, 2)} s = ${fmt(outRate, 1)} messages/s; outcomes ${Object.entries(
        out.outcomes,
      )
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(
          ', ',
        )}; the sink took ${fmt(taken.messages)} messages (${fmt(taken.bytes / Math.max(1, taken.messages))} B each)${out.stalled ? '; STALLED' : ''}`,
    );
    console.log(`  latency (one Route.send: content fetch, build, SMTP transaction): ${lat(outLat)}`);
    console.log(`  CPU per message: ${cpuLine(outCpu, outN, outMachineMs)}`);
    console.log(
      `  gateway event loop busy ${fmt(100 * out.stats.elu)}%, RSS ${fmt(out.stats.rssMb)} MB; Redis commands by server time: ${outRedis.commands}`,
    );
    for (const [what, stats] of [
      ['inbound', inStats],
      ['outbound', out.stats],
    ] as const)
      if (stats.profile)
        for (const l of profileSummary(`gateway profile, ${what} ${stats.profile}`, readProfile(stats.profile), { functions: 30 }))
          console.log(`  ${l}`);
    const inRatio = (inRate * SET_PER_MESSAGE) / setRate;
    const outRatio = (outRate * SET_PER_MESSAGE) / setRate;
    const verdict = (r: number) => (r >= 1 ? 'met' : 'NOT met');
    console.log(
      `\nsummary: SET/s ${fmt(setRate)}; inbound ${fmt(inRate, 1)} messages/s (p50 ${fmt(pct(inRun.latencies, 0.5), 1)} ms, p99 ${fmt(pct(inRun.latencies, 0.99), 1)} ms), ` +
        `ratio ${fmt(inRatio, 3)} per ${SET_PER_MESSAGE} SET/s (${verdict(inRatio)}); outbound ${fmt(outRate, 1)} messages/s (p50 ${fmt(pct(outLat, 0.5), 1)} ms, p99 ${fmt(pct(outLat, 0.99), 1)} ms), ` +
        `ratio ${fmt(outRatio, 3)} (${verdict(outRatio)})`,
    );
    if (idleBefore < 0.9)
      console.log(`  CPU idle just before the run: ${fmt(100 * idleBefore)}% (other work was running then: low, noisy figures)`);
    if (out.stalled || taken.messages < total) process.exitCode = 1;
  } finally {
    await gw.ask({ kind: 'close' }, 'closed').catch(() => undefined);
    gw.release();
    await sink.close();
    console.log(`  (${fmt(await deletePrefix(admin, prefix))} keys of ${prefix} deleted)`);
    await admin.quit();
    await redisServer?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  (flag('server') ? gatewayChild() : flag('sink') ? sinkChild() : main()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
