/**
 * MM7 SubmitReq load benchmark (issue target: >= 2,000 accepted submits/s with p99 <= 50 ms at 64
 * connections on the 2-core bench machine, load generator included), Redis backend.
 *
 * The load: autocannon, keep-alive connections, each sending one SubmitReq after another (no pipelining).
 * A SubmitReq (REL-6-MM7-1-4) is multipart/related: the SOAP envelope, then a multipart/mixed content part
 * with a short text/plain part and a 50 KB image/jpeg part sent with Content-Transfer-Encoding: binary (the
 * bytes as they are, as most VASP stacks send them; base64 would add a third). The JPEG is generated here,
 * deterministically (benchJpeg). One <Number> recipient per request; 16 variants of the request (TransactionID,
 * recipient) are cycled through. Every answer is counted by HTTP status and MM7 StatusCode (1000 = accepted).
 *
 * The server: Mm7Server with the Redis store as the gateway builds it (createStore; a fresh key prefix per
 * run, keys deleted afterwards), a VASP account whose throttle (rate, burst, in-flight) is far above the
 * load, a silent logger (`--log=info` logs to /dev/null instead). By default it runs in a child process
 * (`--server` mode of this file), so that it has its own event loop and core as in production;
 * `--in-process` runs it in the load generator's process, `--both` measures both. A short warm-up
 * (`--warmup=2` s) precedes the measured run.
 *
 * Printed: requests sent, answers by status, accepted submits/s, latency p50/p90/p99/max (every answer,
 * measured by autocannon from the request's write to the end of the answer), MB/s, the CPU of the server,
 * the load generator and redis-server (INFO cpu) over the measured run, the Redis commands that used the most
 * time, Redis memory before/after the run and after the keys are deleted, and whether the target holds.
 * `--profile` records a CPU profile of the server process over the measured run (node:inspector) and prints
 * the functions and files with the most self time; the .cpuprofile file is kept (open it in Chrome DevTools).
 *
 * Options: --connections=64 --duration=10 --warmup=2 --redis=URL (else REDIS_URL, else a private
 * redis-server started for the run) --in-process | --both, --profile, --log=silent.
 * Run with `npm run bench` (or `npm run build && node dist/bench/mm7.js`).
 */
import { prng } from '../test/helpers/prng.js';
import { forkMeasuredServer, serveOverIpc, type MeasuredServer } from './lib/child.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../src/ops/config.js';
import {
  fmt,
  idleShare,
  latencyLine,
  measureRun,
  pct,
  processMeter,
  profileSummary,
  readProfile,
  runAutocannon,
  type LoadRun,
  type Measured,
  type ProcessStats,
} from './lib/measure.js';
import { deletePrefix } from './lib/queue-worker.js';
import { benchRedis } from './lib/redis-server.js';
import { startMm7Server } from './lib/mm7-server.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberArg = (name: string, dflt: number) => Number(stringArg(name) ?? dflt);

const TARGET_RATE = 2_000; // accepted submits/s
const TARGET_P99_MS = 50;
const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const JPEG_BYTES = 50 * 1024;
const VARIANTS = 16;
const OUTER = '----=_mmsc-bench-outer-7b2c41e09d';
const INNER = '----=_mmsc-bench-inner-5f8a03c6e1';

/** The benchmark's VASP: allowed the sender, with a throttle that is never the limit (other keys: defaults). */
export const VASP: VaspConfig = VaspSchema.parse({
  id: 'VASP-BENCH',
  username: 'bench',
  password: 'bench-secret',
  senders: ['12345'],
  maxMessageBytes: 300 * 1024,
  rate: 1e6,
  burst: 1e6,
  maxInFlight: 100_000,
  version: 'REL-6-MM7-1-4',
});

// ---------------------------------------------------------------------------------------------------------
// The JPEG: a real baseline JPEG (ITU-T T.81), grayscale, 8x8 blocks of random DCT coefficients (so a
// noise picture, decodable by any viewer) whose entropy-coded data looks like a photo's: high entropy, 0xFF
// bytes stuffed. Own Huffman tables (DHT) with 4-bit codes keep the encoder to a few lines: DC category c
// has code c, AC (run 0, size s) has code s, end-of-block code 0. A COM segment pads it to the exact size.

/** MSB-first bit writer with T.81 §F.1.2.3 byte stuffing (0xFF is followed by 0x00 in entropy-coded data). */
class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        if (this.acc === 0xff) this.bytes.push(0);
        this.acc = 0;
        this.n = 0;
      }
    }
  }

  /** Pads the last byte with 1-bits (T.81 §F.1.2.3). */
  finish(): Buffer {
    if (this.n > 0) this.write((1 << (8 - this.n)) - 1, 8 - this.n);
    return Buffer.from(this.bytes);
  }
}

/** A marker segment: 0xFF marker, 2-byte length (itself included), payload. */
function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  return Buffer.concat([head, payload]);
}

/** A DHT table: class (0 DC, 1 AC), id 0, every symbol with a 4-bit code (canonical: the code is the index). */
function dht(tableClass: number, symbols: readonly number[]): Buffer {
  const counts = Array<number>(16).fill(0);
  counts[3] = symbols.length;
  return segment(0xc4, Buffer.from([tableClass << 4, ...counts, ...symbols]));
}

/** A `size`-byte grayscale baseline JPEG, 320 pixels wide, as many rows of blocks as fit; same bytes for a seed. */
export function benchJpeg(size: number, seed = 0x6d6d7363): Buffer {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const width = 320;
  const label = Buffer.from('mmsc bench/mm7.ts: generated noise picture, baseline JPEG; padding follows\n');
  const app0 = segment(0xe0, Buffer.from([...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  const dqt = segment(0xdb, Buffer.from([0, ...Array<number>(64).fill(4)]));
  const dhtDc = dht(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const dhtAc = dht(1, [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a]);
  const sos = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
  const fixed = 2 + app0.length + 4 + label.length + dqt.length + 13 + dhtDc.length + dhtAc.length + sos.length + 2;

  const bits = new BitWriter();
  let rows = 0;
  let rowBytes = 0;
  // Whole rows of blocks while the next one surely fits; the COM segment takes the rest.
  while (fixed + bits.bytes.length + 2 * rowBytes + 16 < size) {
    const before = bits.bytes.length;
    for (let b = 0; b < width / 8; b++) {
      const dc = int(4); // DC difference category 0..3, then its bits
      bits.write(dc, 4);
      if (dc > 0) bits.write(int(1 << dc), dc);
      const ac = 8 + int(56); // nonzero AC coefficients (run 0), sizes 1..5, then end of block
      for (let k = 0; k < ac; k++) {
        const s = 1 + int(5);
        bits.write(s, 4);
        bits.write(int(1 << s), s);
      }
      if (ac < 63) bits.write(0, 4);
    }
    rows++;
    rowBytes = bits.bytes.length - before;
  }
  const data = bits.finish();
  const height = rows * 8;
  const sof = segment(0xc0, Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]));
  const pad = size - (fixed + data.length);
  if (pad < 0 || label.length + pad > 65_533) throw new Error(`benchJpeg: cannot make ${size} bytes (pad ${pad})`);
  const com = segment(0xfe, Buffer.concat([label, Buffer.from(Array.from({ length: pad }, () => 0x20 + int(95)))]));
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), app0, com, dqt, sof, dhtDc, dhtAc, sos, data, Buffer.from([0xff, 0xd9])]);
  if (jpeg.length !== size) throw new Error(`benchJpeg: ${jpeg.length} bytes, expected ${size}`);
  return jpeg;
}

// ---------------------------------------------------------------------------------------------------------
// The request.

interface BenchRequest {
  headers: Record<string, string>;
  body: Buffer;
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** SubmitReq number `i`: SOAP part + multipart/mixed content (text/plain + image/jpeg, binary). */
export function submitReq(i: number, jpeg: Buffer, now = new Date()): BenchRequest {
  const tx = `bench-${process.pid}-${i}`;
  const recipient = `1555${String(1_000_000 + i).slice(1)}`; // 1555000000i: E.164 without "+", as VASPs write it
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const envelope =
    `<?xml version="1.0" encoding="UTF-8"?>\r\n` +
    `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<env:Header><mm7:TransactionID xmlns:mm7="${NS}" env:mustUnderstand="1">${tx}</mm7:TransactionID></env:Header>` +
    `<env:Body><SubmitReq xmlns="${NS}">` +
    `<MM7Version>6.8.0</MM7Version>` +
    `<SenderIdentification><VASPID>${VASP.id}</VASPID><VASID>bench-service</VASID>` +
    `<SenderAddress><ShortCode>${VASP.senders[0]}</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To><Number>${recipient}</Number></To></Recipients>` +
    `<ServiceCode>bench-1</ServiceCode><MessageClass>Personal</MessageClass><TimeStamp>${stamp}</TimeStamp>` +
    `<ExpiryDate>P1D</ExpiryDate><DeliveryReport>true</DeliveryReport><Priority>Normal</Priority>` +
    `<Subject>Benchmark picture ${i}</Subject>` +
    `<Content href="cid:content-${i}" allowAdaptations="true"/>` +
    `</SubmitReq></env:Body></env:Envelope>`;
  const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  const body = Buffer.concat([
    head([`--${OUTER}`, 'Content-Type: text/xml; charset="utf-8"', 'Content-ID: <soap-start>']),
    Buffer.from(envelope, 'utf8'),
    Buffer.from(`\r\n`),
    head([
      `--${OUTER}`,
      `Content-Type: multipart/mixed; boundary="${INNER}"`,
      `Content-ID: <content-${i}>`,
      'Content-Transfer-Encoding: binary',
    ]),
    head([
      `--${INNER}`,
      'Content-Type: text/plain; charset="utf-8"',
      'Content-ID: <text-1>',
      'Content-Location: text.txt',
      'Content-Transfer-Encoding: 8bit',
    ]),
    Buffer.from(`Here is the picture you asked for (${i}).\r\n`, 'utf8'),
    head([
      `--${INNER}`,
      'Content-Type: image/jpeg',
      'Content-ID: <image-1>',
      'Content-Location: picture.jpg',
      'Content-Transfer-Encoding: binary',
    ]),
    jpeg,
    Buffer.from(`\r\n--${INNER}--\r\n\r\n--${OUTER}--\r\n`),
  ]);
  return {
    headers: {
      'Content-Type': `multipart/related; boundary="${OUTER}"; type="text/xml"; start="<soap-start>"`,
      SOAPAction: '""',
      Authorization: basic(VASP.username, VASP.password!),
    },
    body,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The server, and what it costs over the measured run: CPU, event-loop utilisation, and optionally a profile.

interface ServerOptions {
  redisUrl: string;
  prefix: string;
  logLevel: string;
  /** Where to write a CPU profile of the measured run; none when undefined. */
  profileDir: string | undefined;
}

type LocalServer = MeasuredServer<ProcessStats>;

async function startLocalServer(o: ServerOptions): Promise<LocalServer> {
  // The store as the gateway builds it (createStore: the same Redis client options), on the bench's prefix.
  const config = ConfigSchema.parse({
    redis: { url: o.redisUrl },
    queue: { prefix: o.prefix },
    mm7: { port: 0, vasps: [VASP] },
    mm1: { port: 0 },
  });
  const log =
    o.logLevel === 'silent' ? pino({ level: 'silent' }) : pino({ level: o.logLevel }, pino.destination({ dest: '/dev/null', sync: false }));
  const { store, server, url } = await startMm7Server(config, log);
  const meter = processMeter(o.profileDir ? { dir: o.profileDir, name: 'mm7-server' } : undefined);
  return {
    url,
    mark: () => meter.mark(),
    read: () => meter.read(),
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** `--server` mode: the server in this process, driven over IPC by the parent. */
async function serverChild(): Promise<void> {
  const server = await startLocalServer({
    redisUrl: stringArg('redis')!,
    prefix: stringArg('prefix')!,
    logLevel: stringArg('log') ?? 'silent',
    profileDir: stringArg('profile-dir'),
  });
  serveOverIpc(server);
}

/** The server in a child process (this file with --server), same interface as startLocalServer. */
function forkServer(o: ServerOptions): Promise<LocalServer> {
  const argv = ['--server', `--redis=${o.redisUrl}`, `--prefix=${o.prefix}`, `--log=${o.logLevel}`];
  if (o.profileDir) argv.push(`--profile-dir=${o.profileDir}`);
  return forkMeasuredServer<ProcessStats>(fileURLToPath(import.meta.url), argv, 'mm7 server');
}

// ---------------------------------------------------------------------------------------------------------
// The load.

interface LoadResult extends LoadRun {
  /** Answers by "HTTP <status>, StatusCode <code>". */
  answers: Map<string, number>;
  accepted: number;
  requestBytes: number;
}

const STATUS_CODE = /<(?:[\w-]+:)?StatusCode>\s*(\d+)\s*</;
const answerKey = (httpStatus: number, statusCode: string | undefined) => `HTTP ${httpStatus}, StatusCode ${statusCode ?? '(none)'}`;
const ACCEPTED = answerKey(200, '1000');

async function load(url: string, requests: readonly BenchRequest[], connections: number, durationS: number): Promise<LoadResult> {
  const answers = new Map<string, number>();
  const onResponse = (status: number, body: string) => {
    const key = answerKey(status, STATUS_CODE.exec(body)?.[1]);
    answers.set(key, (answers.get(key) ?? 0) + 1);
  };
  const requestSize = requests.reduce((s, r) => s + r.body.length, 0) / requests.length;
  const r = await runAutocannon({
    url,
    connections,
    duration: durationS,
    requests: requests.map((q) => ({ method: 'POST' as const, path: '/mm7', headers: q.headers, body: q.body, onResponse })),
  });
  return { ...r, answers, accepted: answers.get(ACCEPTED) ?? 0, requestBytes: r.latencies.length * requestSize };
}

// ---------------------------------------------------------------------------------------------------------
// Redis memory (INFO memory): what the run's messages take.

async function redisMemory(redis: Redis): Promise<{ bytes: number; human: string }> {
  const info = await redis.info('memory');
  return { bytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN), human: /^used_memory_human:(\S+)/m.exec(info)?.[1] ?? '?' };
}

// ---------------------------------------------------------------------------------------------------------

type Mode = 'child' | 'in-process';

interface RunOptions {
  redisUrl: string;
  admin: Redis;
  requests: readonly BenchRequest[];
  connections: number;
  durationS: number;
  warmupS: number;
  logLevel: string;
  profileDir: string | undefined;
}

interface RunFigures {
  mode: Mode;
  rate: number;
  p99: number;
  /** CPU other processes (and the kernel) took during the run, in cores: the noise in the figures. */
  others: number;
}

/** Prints one measured run; returns the CPU share (in cores) that other processes and the kernel took. */
function report(mode: Mode, o: RunOptions, { load: r, stats, redis, machineMs }: Measured<LoadResult, ProcessStats>): number {
  console.log(
    `  ${o.connections} connections, ${fmt(r.durationS, 2)} s: ${fmt(r.sent)} requests sent, ${fmt(r.latencies.length)} answered, ${r.errors} errors, ${r.timeouts} timeouts`,
  );
  for (const [k, n] of [...r.answers].sort((x, y) => y[1] - x[1])) console.log(`    ${k}: ${fmt(n)}`);
  console.log(`  accepted: ${fmt(r.accepted / r.durationS)} submits/s`);
  console.log(`  ${latencyLine(r.latencies)}`);
  console.log(
    `  throughput: ${fmt(r.requestBytes / r.durationS / 1e6, 1)} MB/s of request bodies up (${fmt(o.requests[0]!.body.length)} B each), ` +
      `${fmt(r.responseBytes / r.durationS / 1e6, 2)} MB/s of answers down`,
  );
  // CPU over the run, as a share of one core and per accepted submit; what the machine spent besides.
  const wallMs = r.durationS * 1000;
  const serverMs = stats.cpuUserMs + stats.cpuSystemMs;
  const loadMs = mode === 'child' ? r.cpuMs : 0; // in-process: counted in the server's figure
  const share = (ms: number) => `${fmt((100 * ms) / wallMs)}%`;
  const othersMs = Math.max(0, machineMs - serverMs - loadMs - redis.cpuMs);
  const perSubmit = (ms: number) => `${fmt((1000 * ms) / Math.max(1, r.accepted))} µs`;
  console.log(
    `  CPU, % of one core: server ${share(serverMs)} (user ${fmt(stats.cpuUserMs)} ms, sys ${fmt(stats.cpuSystemMs)} ms${mode === 'in-process' ? ', load generator included' : ''}), ` +
      `${mode === 'child' ? `load generator ${share(loadMs)}, ` : ''}redis-server ${share(redis.cpuMs)}; ` +
      `machine ${share(machineMs)} of ${cpus().length * 100}% (other processes and kernel: ${share(othersMs)})`,
  );
  console.log(
    `  CPU per accepted submit: server ${perSubmit(serverMs)}${mode === 'child' ? `, load generator ${perSubmit(loadMs)}` : ''}, redis-server ${perSubmit(redis.cpuMs)}; ` +
      `server event loop busy ${fmt(100 * stats.elu)}% of the run, RSS ${fmt(stats.rssMb)} MB`,
  );
  console.log(`  Redis commands by server time (those run by scripts count in evalsha too): ${redis.commands}`);
  return othersMs / wallMs;
}

async function run(mode: Mode, o: RunOptions): Promise<RunFigures> {
  const prefix = `mmsc-bench-mm7-${randomBytes(4).toString('hex')}`;
  const serverOptions: ServerOptions = { redisUrl: o.redisUrl, prefix, logLevel: o.logLevel, profileDir: o.profileDir };
  console.log(
    `\n${mode === 'child' ? 'server in a child process (own event loop)' : "server in the load generator's process (one event loop for both)"}; key prefix ${prefix}`,
  );
  const memBefore = await redisMemory(o.admin);
  const server = mode === 'child' ? await forkServer(serverOptions) : await startLocalServer(serverOptions);
  try {
    if (o.warmupS > 0) {
      const w = await load(server.url, o.requests, o.connections, o.warmupS);
      console.log(`  warm-up: ${fmt(w.accepted)} accepted in ${fmt(w.durationS, 1)} s (not counted)`);
    }
    const m = await measureRun(o.admin, server, () => load(server.url, o.requests, o.connections, o.durationS));
    const { load: r, stats } = m;
    const memAfter = await redisMemory(o.admin);

    const others = report(mode, o, m);
    const deleted = await deletePrefix(o.admin, prefix);
    const memDeleted = await redisMemory(o.admin);
    console.log(
      `  Redis used_memory: ${memBefore.human} before, ${memAfter.human} after (+${fmt((memAfter.bytes - memBefore.bytes) / 1e6)} MB for ` +
        `${fmt(r.accepted)} + warm-up messages of ${fmt(JPEG_BYTES / 1024)} KB), ${memDeleted.human} after deleting ${fmt(deleted)} keys`,
    );
    if (stats.profile) for (const l of profileSummary(`profile ${stats.profile}`, readProfile(stats.profile))) console.log(`  ${l}`);
    return { mode, rate: r.accepted / r.durationS, p99: pct(r.latencies, 0.99), others };
  } finally {
    await server.close();
    await deletePrefix(o.admin, prefix); // again, in case the run failed half-way
  }
}

async function main(): Promise<void> {
  const connections = numberArg('connections', 64);
  const durationS = numberArg('duration', 10);
  const warmupS = numberArg('warmup', 2);
  const modes: Mode[] = flag('both') ? ['child', 'in-process'] : [flag('in-process') ? 'in-process' : 'child'];
  const logLevel = stringArg('log') ?? 'silent';
  const idleBefore = await idleShare();

  const { url: redisUrl, server: redisServer } = await benchRedis(stringArg('redis') ?? process.env.REDIS_URL);
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    const jpeg = benchJpeg(JPEG_BYTES);
    for (const b of [OUTER, INNER]) if (jpeg.includes(b)) throw new Error('the MIME boundary occurs in the JPEG');
    const requests = Array.from({ length: VARIANTS }, (_, i) => submitReq(i, jpeg));
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    console.log(
      `MM7 SubmitReq bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(100 * idleBefore)}% idle before the run, ${new Date().toISOString()}\n` +
        `Redis ${version} at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (${redisServer ? 'private server started for this run, no persistence' : 'given'})\n` +
        `request: SubmitReq ${NS.slice(NS.lastIndexOf('/') + 1)}, multipart/related (SOAP + multipart/mixed of text/plain + image/jpeg ` +
        `${fmt(jpeg.length)} B, Content-Transfer-Encoding binary), ${fmt(requests[0]!.body.length)} B body, 1 recipient; ${VARIANTS} variants\n` +
        `load: autocannon, ${connections} connections, ${durationS} s after a ${warmupS} s warm-up; modes: ${modes.join(', ')}; server log level ${logLevel}`,
    );
    const profileDir = flag('profile') ? mkdtempSync(join(tmpdir(), 'mmsc-bench-mm7-prof-')) : undefined;
    const figures: RunFigures[] = [];
    for (const mode of modes) {
      figures.push(await run(mode, { redisUrl, admin, requests, connections, durationS, warmupS, logLevel, profileDir }));
    }
    console.log('\nsummary');
    for (const f of figures) {
      const met = f.rate >= TARGET_RATE && f.p99 <= TARGET_P99_MS;
      console.log(
        `  ${f.mode.padEnd(10)} ${fmt(f.rate)} accepted submits/s, p99 ${fmt(f.p99, 1)} ms: target >= ${fmt(TARGET_RATE)}/s with p99 <= ${TARGET_P99_MS} ms ${met ? 'MET' : 'NOT MET'}` +
          (f.rate < TARGET_RATE ? ' (rate)' : '') +
          (f.p99 > TARGET_P99_MS ? ' (p99)' : '') +
          (f.others > 0.2 ? `; other processes took ${fmt(100 * f.others)}% of a core during the run: low, noisy figures` : ''),
      );
    }
    if (idleBefore < 0.9) console.log(`  CPU idle just before the run: ${fmt(100 * idleBefore)}% (other work was running then)`);
  } finally {
    await admin.quit();
    await redisServer?.stop();
  }
}

// Run only when this file is the process' entry point (benchJpeg and submitReq may be imported).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  (flag('server') ? serverChild() : main()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
