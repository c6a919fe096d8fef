/**
 * Hostile MM7 loads (issue 20): what an authenticated VASP can make the MM7 server hold and how long it can
 * hold its event loop. Two loads, each against a fresh server:
 *
 * (a) `--big` (128) concurrent content-first SubmitReqs of 9.5 MiB: multipart/related whose first part is a
 *     9.5 MiB image/jpeg (seeded noise, Content-Transfer-Encoding binary) and whose second, named by `start`,
 *     is the SOAP envelope. Each on its own connection, the whole body written at once.
 * (b) `--bombs` (20) concurrent attribute bombs: a SubmitReq, valid but for 116,221 attributes on its operation
 *     element (~975 KB), sent as a text/xml body.
 *
 * The server: Mm7Server with the Redis store (createStore, a fresh key prefix, keys deleted after each load)
 * in a child process (its own event loop, as in production), the config's defaults but for one VASP account
 * allowed 10 MiB messages, a rate that never limits, and `--max-in-flight` (default 20, the schema's default)
 * requests at once. `--config=JSON` merges more mm7 keys (e.g. '{"maxEnvelopeBytes":1048576}', which lets the
 * bombs past the envelope size so that the pre-scan's attribute count is what refuses them).
 *
 * Printed per load: the answers (MM7 StatusCode, or the client error when the connection was closed before
 * an answer could be read), the wall time, the server's RSS before, at its peak (VmHWM, and sampled every
 * 10 ms) and `--settle` (3) seconds after the load (memory that came back), its heap, and its worst event-loop
 * stall: monitorEventLoopDelay's max and a 10 ms interval timer's worst lateness in the server, and from outside
 * the worst answer time of a probe request (GET, answered 405 before any other work, like /healthz) sent every
 * 20 ms during the load.
 *
 * Loopback only; bounded: `--big` and `--bombs` requests per load, each answered or cut off within
 * `--timeout` (120) seconds. Redis: REDIS_URL / --redis, else a private redis-server for the run.
 * Run with `npm run bench` (or `npm run build && node dist/bench/mm7-hostile.js`); `--load=a` or `--load=b` for one.
 */
import { request, Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { prng } from '../test/helpers/prng.js';
import { forkBenchChild, forkMeasuredServer, serveOverIpc, type MeasuredServer } from './lib/child.js';
import { ConfigSchema, VaspSchema } from '../src/ops/config.js';
import { fmt, idleShare } from './lib/measure.js';
import { deletePrefix } from './lib/queue-worker.js';
import { benchRedis } from './lib/redis-server.js';
import { startMm7Server } from './lib/mm7-server.js';

const args = process.argv.slice(2);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberArg = (name: string, dflt: number) => Number(stringArg(name) ?? dflt);

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const MIB = 1024 * 1024;
const PICTURE_BYTES = Math.round(9.5 * MIB);
const BOMB_ATTRIBUTES = 116_221;
const BOUNDARY = '----=_mmsc-hostile-7d1e5a0c93b4f2';
const USER = 'hostile';
const PASSWORD = 'hostile-secret';
const SENDER = '12345';

// ---------------------------------------------------------------------------------------------------------
// The requests.

function envelope(tx: string, operationAttributes: string, content: boolean): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>` +
    `<mm7:TransactionID xmlns:mm7="${NS}" env:mustUnderstand="1">${tx}</mm7:TransactionID></env:Header>` +
    `<env:Body><SubmitReq xmlns="${NS}"${operationAttributes}><MM7Version>6.8.0</MM7Version>` +
    `<SenderIdentification><VASPID>${USER}</VASPID><SenderAddress><ShortCode>${SENDER}</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To><Number>15551230001</Number></To></Recipients><Subject>hostile</Subject>` +
    (content ? `<Content href="cid:picture"/>` : '') +
    `</SubmitReq></env:Body></env:Envelope>`
  );
}

/** Load (a)'s body: the picture first, then the SOAP part that `start` names. */
function contentFirst(picture: Buffer): { contentType: string; body: Buffer } {
  const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  const body = Buffer.concat([
    head([`--${BOUNDARY}`, 'Content-Type: image/jpeg', 'Content-ID: <picture>', 'Content-Transfer-Encoding: binary']),
    picture,
    Buffer.from('\r\n'),
    head([`--${BOUNDARY}`, 'Content-Type: text/xml; charset="utf-8"', 'Content-ID: <soap-start>']),
    Buffer.from(envelope('hostile-a', '', true)),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return { contentType: `multipart/related; boundary="${BOUNDARY}"; type="text/xml"; start="<soap-start>"`, body };
}

/** Load (b)'s body: the attribute bomb. */
function attributeBomb(): { contentType: string; body: Buffer } {
  const attrs = Array.from({ length: BOMB_ATTRIBUTES }, (_, i) => ` a${i.toString(36)}=""`).join('');
  return { contentType: 'text/xml; charset=utf-8', body: Buffer.from(envelope('hostile-b', attrs, false)) };
}

function picture(): Buffer {
  const rnd = prng(0x6d6d3720);
  const b = Buffer.allocUnsafe(PICTURE_BYTES);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(Math.floor(rnd() * 0x1_0000_0000), i);
  b[0] = 0xff;
  b[1] = 0xd8; // SOI, for what it is worth
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// The server child: its memory and event loop, measured from inside.

interface HostileStats {
  rssMb: number;
  /** Sampled every 10 ms since mark(). */
  peakRssMb: number;
  /** VmHWM (/proc/self/status): the kernel's peak RSS of the process since it started; NaN elsewhere. */
  hwmMb: number;
  heapUsedMb: number;
  externalMb: number;
  /** monitorEventLoopDelay since mark(): the longest delay of the loop. */
  loopDelayMaxMs: number;
  /** A 10 ms interval's worst lateness since mark(). */
  intervalMaxMs: number;
}

const mb = (bytes: number) => bytes / 1e6;

function vmHwmMb(): number {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? NaN : (Number(kb) * 1024) / 1e6;
  } catch {
    return NaN;
  }
}

async function startServer(
  redisUrl: string,
  prefix: string,
  maxInFlight: number,
  extra: Record<string, unknown>,
): Promise<MeasuredServer<HostileStats>> {
  const vasp = VaspSchema.parse({
    id: USER,
    username: USER,
    password: PASSWORD,
    senders: [SENDER],
    maxMessageBytes: 10 * MIB,
    rate: 1e6,
    burst: 1e6,
    maxInFlight,
  });
  const config = ConfigSchema.parse({
    redis: { url: redisUrl },
    queue: { prefix },
    mm7: { port: 0, vasps: [vasp], ...extra },
    mm1: { port: 0 },
  });
  const log = pino({ level: 'silent' });
  const { store, server, url } = await startMm7Server(config, log);

  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let peak = 0;
  let intervalMax = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    intervalMax = Math.max(intervalMax, now - last - 10);
    last = now;
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    url,
    async mark() {
      delay.reset();
      peak = process.memoryUsage.rss();
      intervalMax = 0;
      last = performance.now();
    },
    async read() {
      const m = process.memoryUsage();
      return {
        rssMb: mb(m.rss),
        peakRssMb: mb(Math.max(peak, m.rss)),
        hwmMb: vmHwmMb(),
        heapUsedMb: mb(m.heapUsed),
        externalMb: mb(m.external),
        loopDelayMaxMs: delay.max / 1e6,
        intervalMaxMs: intervalMax,
      };
    },
    async close() {
      clearInterval(tick);
      delay.disable();
      await server.close();
      await store.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The load.

interface Outcome {
  /** "StatusCode 1000", "HTTP 408", "ECONNRESET" ... */
  key: string;
  ms: number;
}

const STATUS_CODE = /<(?:[\w-]+:)?StatusCode>\s*(\d+)\s*</;

/** One request on its own connection, the whole body written at once; settles with what came back, never rejects. */
function send(url: string, req: { contentType: string; body: Buffer }, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (key: string) => {
      if (done) return;
      done = true;
      resolve({ key, ms: performance.now() - started });
    };
    const r = request(
      url,
      {
        method: 'POST',
        agent: false,
        auth: `${USER}:${PASSWORD}`,
        headers: { 'content-type': req.contentType, 'content-length': String(req.body.length), soapaction: '""' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const answered = () => {
          const code = STATUS_CODE.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
          finish(code ? `StatusCode ${code}` : `HTTP ${res.statusCode}`);
        };
        res.on('end', answered);
        res.on('error', answered);
      },
    );
    r.on('timeout', () => {
      r.destroy();
      finish('no answer (timeout)');
    });
    r.on('error', (err: NodeJS.ErrnoException) => finish(`${err.code ?? err.message} before an answer`));
    r.end(req.body);
  });
}

type FromProbe = { kind: 'ready' } | { kind: 'result'; count: number; worstMs: number };

/**
 * `--probe=URL` mode: a GET every 20 ms (answered 405 before any other work, like a health check) until the
 * parent says stop; reports the worst answer time. A process of its own, so that the load generator's event
 * loop (busy writing gigabytes) is not in the figure.
 */
async function probeChild(url: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let stopped = false;
  let count = 0;
  let worst = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const r = request(url, { method: 'GET', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          worst = Math.max(worst, performance.now() - t0);
          count++;
          resolve();
        });
      });
      r.on('error', () => resolve());
      r.end();
    });
  await one();
  process.send!({ kind: 'ready' } satisfies FromProbe);
  const loop = (async () => {
    while (!stopped) {
      await one();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  process.on('message', () => {
    stopped = true;
    void loop.then(() => {
      agent.destroy();
      process.send!({ kind: 'result', count, worstMs: worst } satisfies FromProbe, undefined, {}, () => process.disconnect());
    });
  });
  process.on('disconnect', () => process.exit(0));
}

/** The probe in a child process, once it has had its first answer: stop() ends it and gives its figures. */
async function probe(url: string): Promise<{ stop(): Promise<{ count: number; worstMs: number }> }> {
  const child = forkBenchChild<FromProbe, { kind: 'stop' }>(fileURLToPath(import.meta.url), [`--probe=${url}`], 'probe');
  await child.next('ready');
  return {
    async stop() {
      const result = await child.ask({ kind: 'stop' }, 'result');
      child.release();
      return result;
    },
  };
}

interface LoadOptions {
  name: string;
  what: string;
  request: { contentType: string; body: Buffer };
  count: number;
  redisUrl: string;
  admin: Redis;
  maxInFlight: number;
  extra: Record<string, unknown>;
  timeoutMs: number;
  settleMs: number;
  rounds: number;
}

async function runLoad(o: LoadOptions): Promise<void> {
  const prefix = `mmsc-bench-hostile-${randomBytes(4).toString('hex')}`;
  const argv = [
    '--server',
    `--redis=${o.redisUrl}`,
    `--prefix=${prefix}`,
    `--max-in-flight=${o.maxInFlight}`,
    `--config=${JSON.stringify(o.extra)}`,
  ];
  const server = await forkMeasuredServer<HostileStats>(fileURLToPath(import.meta.url), argv, 'mm7 server');
  try {
    await new Promise((r) => setTimeout(r, 500)); // let start-up settle before the baseline
    console.log(
      `\n(${o.name}) ${o.count} concurrent ${o.what}, ${fmt(o.request.body.length)} B each; ${o.rounds} round(s) against one server`,
    );
    console.log(`  server RSS before: ${fmt((await server.read()).rssMb)} MB`);
    for (let round = 1; round <= o.rounds; round++) {
      await server.mark();
      const p = await probe(server.url);
      const started = performance.now();
      const outcomes = await Promise.all(Array.from({ length: o.count }, () => send(server.url, o.request, o.timeoutMs)));
      const wallS = (performance.now() - started) / 1000;
      const probed = await p.stop();
      const during = await server.read();
      await deletePrefix(o.admin, prefix); // the accepted messages: Redis holds what the next round needs only
      await new Promise((r) => setTimeout(r, o.settleMs));
      const after = await server.read();

      const answers = new Map<string, number>();
      for (const x of outcomes) answers.set(x.key, (answers.get(x.key) ?? 0) + 1);
      const times = outcomes.map((x) => x.ms).sort((a, b) => a - b);
      console.log(
        `  round ${round}: answers in ${fmt(wallS, 1)} s: ${[...answers]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k}: ${n}`)
          .join(', ')}`,
      );
      console.log(
        `    answer time: fastest ${fmt(times[0]!, 0)} ms, median ${fmt(times[Math.floor(times.length / 2)]!, 0)} ms, slowest ${fmt(times[times.length - 1]!, 0)} ms`,
      );
      console.log(
        `    server RSS: peak ${fmt(during.peakRssMb)} MB (VmHWM ${fmt(during.hwmMb)} MB), ` +
          `${fmt(after.rssMb)} MB ${fmt(o.settleMs / 1000)} s after (heap used ${fmt(after.heapUsedMb)} MB, external ${fmt(after.externalMb)} MB)`,
      );
      console.log(
        `    worst event-loop stall: ${fmt(Math.max(during.loopDelayMaxMs, during.intervalMaxMs))} ms ` +
          `(monitorEventLoopDelay max ${fmt(during.loopDelayMaxMs)} ms, 10 ms timer late by ${fmt(during.intervalMaxMs)} ms); ` +
          `probe GET every 20 ms from another process: worst answer ${fmt(probed.worstMs)} ms of ${probed.count}`,
      );
    }
  } finally {
    await server.close();
    await deletePrefix(o.admin, prefix);
  }
}

/** `--server` mode: the server in this process, driven over IPC by the parent. */
async function serverChild(): Promise<void> {
  const extra = JSON.parse(stringArg('config') ?? '{}') as Record<string, unknown>;
  serveOverIpc(await startServer(stringArg('redis')!, stringArg('prefix')!, numberArg('max-in-flight', 20), extra));
}

async function main(): Promise<void> {
  const big = numberArg('big', 128);
  const bombs = numberArg('bombs', 20);
  const maxInFlight = numberArg('max-in-flight', 20);
  const extra = JSON.parse(stringArg('config') ?? '{}') as Record<string, unknown>;
  const timeoutMs = numberArg('timeout', 120) * 1000;
  const settleMs = numberArg('settle', 3) * 1000;
  const rounds = numberArg('rounds', 2);
  const loads = stringArg('load') ?? 'ab';
  const idle = await idleShare();
  const { url: redisUrl, server: redisServer } = await benchRedis(stringArg('redis') ?? process.env.REDIS_URL);
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    console.log(
      `MM7 hostile loads: node ${process.version}, ${cpus().length} CPUs, ${fmt(100 * idle)}% idle before the run, ${new Date().toISOString()}\n` +
        `server: Mm7Server + Redis store in a child process; VASP maxMessageBytes 10 MiB, maxInFlight ${maxInFlight}` +
        `${Object.keys(extra).length > 0 ? `; mm7 ${JSON.stringify(extra)}` : '; other mm7 keys at their defaults'}; Redis ${redisServer ? 'private' : 'given'}`,
    );
    const common = { redisUrl, admin, maxInFlight, extra, timeoutMs, settleMs, rounds };
    if (loads.includes('a')) {
      const pic = picture();
      const req = contentFirst(pic);
      if (pic.includes(BOUNDARY)) throw new Error('the boundary occurs in the picture');
      await runLoad({
        ...common,
        name: 'a',
        what: `content-first SubmitReqs (a ${fmt(PICTURE_BYTES / MIB, 1)} MiB picture before the SOAP part)`,
        request: req,
        count: big,
      });
    }
    if (loads.includes('b')) {
      await runLoad({
        ...common,
        name: 'b',
        what: `attribute bombs (SubmitReq, ${fmt(BOMB_ATTRIBUTES)} attributes, text/xml)`,
        request: attributeBomb(),
        count: bombs,
      });
    }
  } finally {
    await admin.quit();
    await redisServer?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const probeUrl = stringArg('probe');
  const run = probeUrl ? probeChild(probeUrl) : args.includes('--server') ? serverChild() : main();
  run.catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
