/**
 * MM1 (handset) listener benchmark, Redis backend. Issue targets on the 2-core bench machine, load generator
 * included: >= 3,000 retrievals/s of a 100 KB message from 64 concurrent clients, and >= 1,500 m-send-req
 * accepted/s.
 *
 * The server: the whole gateway (src/gateway.ts: MM1 listener, delivery workers, report pump, SMPP edge; MM7
 * off) on a private Redis and a fresh key prefix per phase, in a child process (`--server` mode of this file)
 * so that it has its own event loop and core as in production. Its WAP push bearer is the SMSC simulator
 * (test/helpers/smsc.ts, record: false) running in this process: without an SMSC a notification fails for
 * good, the job is rejected and the copy can no longer be retrieved.
 *
 * Phase 1, submissions: autocannon, 64 keep-alive connections, POST / of one m-send-req (multipart/related:
 * SMIL, text/plain, a 50 KB JPEG generated deterministically, benchJpeg of bench/mm7.ts) to one local
 * recipient; 16 variants (sender in x-msisdn, Transaction-ID) cycled through. An answer counts as accepted
 * when it is an m-send-conf with Response-Status Ok: the server counts those (mmsc_mm1_requests_total
 * {pdu="m-send-req",status="Ok"} over the measured run), the load generator counts 200 answers that carry a
 * Message-ID (autocannon hands bodies over as UTF-8 text, so the binary status byte cannot be read there), one
 * answer is decoded in full before the run, and the number of messages in the store is checked afterwards.
 * Notifications of the accepted messages are pushed meanwhile at the configured mm1.pushRate (default
 * 100/s, `--push-rate=N`), as a production gateway does.
 *
 * Phase 2, retrievals: `--messages` (2,000) m-send-req of 100 KB of content each (SMIL + text + JPEG =
 * 102,400 bytes), each to its own recipient, are sent first (node:http, 32 at a time); once every copy has
 * been notified (the SMSC has the pushes and every job is 'notified', waiting for the acknowledgement), the
 * retrieval URLs are computed with Tokens and the gateway's secret, and autocannon GETs them round-robin
 * from 64 connections with the recipient's x-msisdn and a User-Agent whose content.userAgents class takes the
 * picture as it is (USER_AGENT). A retrieval does not end the job (only an
 * m-acknowledge-ind does), so every URL can be fetched again and again. A sample of answers is decoded in
 * full before and after the run (m-retrieve-conf, the expected Message-ID, the parts sent byte for byte), and the
 * bytes received per answer must be at least that PDU's size. autocannon turns every answer body into a
 * UTF-8 string whether anything reads it or not; for 100 KB answers that costs the load generator (on the
 * same 2 cores) far more CPU than the server spends per retrieval, and caps the figure near 600/s. So in this
 * phase the bodies are dropped as they arrive (PipelinedRequestsQueue.addBody made a no-op, autocannon 9
 * internals); `--keep-bodies` runs stock autocannon.
 *
 * Each phase: a warm-up (`--warmup=2` s, not counted), then `--duration=10` s measured. Printed: answers by
 * status, the rate, latency p50/p90/p99/max (autocannon: request written to answer complete), MB/s, the CPU
 * of the server, the load generator and redis-server (INFO cpu) over the run and per request, the server's
 * event-loop utilisation, the Redis commands that took the most time, and whether each target holds.
 * `--profile` records a CPU profile of the server over each measured run (node:inspector) and prints the
 * functions and files with the most self time; the .cpuprofile files are kept.
 *
 * The gateway child runs with glibc's allocator set as the shipped deployments set it (src/ops/malloc.ts);
 * `--malloc=default` runs it with glibc's defaults.
 *
 * Phase 3, the floor (bench/lib/retrieval-floor.ts): the retrieval's I/O without the gateway, under phase 2's
 * load: answers of the m-retrieve-conf's size read from Redis by one MGET a turn and written to the
 * connection. Its server CPU per answer is what no change to the gateway's code can go below; the summary
 * prints it next to the retrieval's.
 *
 * Options: --connections=64 --duration=10 --warmup=2 --messages=2000 --push-rate=N --phases=send,retrieve,floor --keep-bodies
 * --redis=URL (else REDIS_URL, else a private redis-server started for the run) --profile --log=silent
 * --image-adapter=process|inline (content.imageAdapter; the set-up's notifications adapt the picture).
 * Run with `npm run build && node dist/bench/mm1.js`.
 */
import type autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { decodePdu, encodePdu, type MmsPdu, type SendReq } from '../protocols/mms/index.js';
import type { Gateway } from '../src/gateway.js';
import { Tokens } from '../src/mm1/tokens.js';
import { ConfigSchema } from '../src/ops/config.js';
import { createRedisStore } from '../src/store/redis/index.js';
import { startSmsc, type Smsc } from '../test/helpers/smsc.js';
import { forkMeasuredServer, mallocNote, serveOverIpc, type MeasuredServer } from './lib/child.js';
import {
  countsSince,
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
  type Measured as MeasuredRun,
  type ProcessStats,
} from './lib/measure.js';
import { benchJpeg } from './mm7.js';
import { httpExchange } from './lib/flow-peers.js';
import { deletePrefix } from './lib/queue-worker.js';
import { benchRedis } from './lib/redis-server.js';
import { startBenchGateway } from './lib/bench-gateway.js';
import { floorKey, forkFloorServer } from './lib/retrieval-floor.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberArg = (name: string, dflt: number) => Number(stringArg(name) ?? dflt);

const TARGET_RETRIEVALS = 3_000; // retrievals/s of a 100 KB message, 64 clients
const TARGET_SUBMISSIONS = 1_500; // m-send-req accepted/s
const SECRET = 'mmsc-bench-mm1-token-secret-0123456789';
const PUBLIC_URL = 'http://mmsc.bench.test/mms';
const SMSC_ID = 'mmsc';
const SMSC_PASSWORD = 'secret';
const MMS = 'application/vnd.wap.mms-message';
const SEND_JPEG_BYTES = 50 * 1024;
const MESSAGE_BYTES = 100 * 1024; // content of a retrieved message
const VARIANTS = 16;
const SEND_RECIPIENT = '+15559990000';
/** Senders: +1555000xxxx; phase-2 recipients: +1555200xxxx. */
const sender = (i: number) => `+1555000${String(i % 10_000).padStart(4, '0')}`;
/**
 * The User-Agent of the bench's handsets, whose class (content.userAgents) takes the phase-2 picture as it is
 * (320x624: taller than the default handset's 480, which would have it scaled down): the retrieval answers the
 * stored 100 KB, as a handset that takes it is answered; the adaptation path (hint, capabilities, class) still runs.
 */
const USER_AGENT = 'MmscBench/1.0 (handset; MMS 1.2)';
const recipient = (i: number) => `+1555200${String(i % 10_000).padStart(4, '0')}`;

// ---------------------------------------------------------------------------------------------------------
// The messages.

const SMIL = Buffer.from(
  '<smil><head><layout><root-layout width="320" height="480"/><region id="Image" top="0" left="0" width="320" height="400"/>' +
    '<region id="Text" top="400" left="0" width="320" height="80"/></layout></head>' +
    '<body><par dur="5000ms"><img src="picture.jpg" region="Image"/><text src="text.txt" region="Text"/></par></body></smil>',
);
const TEXT = Buffer.from('Greetings from the benchmark: here is the picture you asked for.', 'utf8');

/** The encoded m-send-req to `to`: multipart/related of SMIL, text and `jpeg`. */
function sendReq(transactionId: string, to: string, jpeg: Buffer): Buffer {
  const pdu: SendReq = {
    messageType: 'm-send-req',
    transactionId,
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${to}/TYPE=PLMN`],
    subject: 'Benchmark picture',
    messageClass: 'Personal',
    deliveryReport: 'No',
    readReport: 'No',
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      { contentType: { mediaType: 'application/smil' }, contentId: '<smil>', contentLocation: 'smil.xml', data: SMIL },
      { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: TEXT },
      { contentType: { mediaType: 'image/jpeg' }, contentLocation: 'picture.jpg', data: jpeg },
    ],
  };
  return encodePdu(pdu);
}

// ---------------------------------------------------------------------------------------------------------
// The server child: the gateway, driven over IPC.

interface ServerStats extends ProcessStats {
  /** mmsc_mm1_requests_total over the measured run, by "pdu status". */
  requests: Record<string, number>;
}

interface ServerOptions {
  redisUrl: string;
  prefix: string;
  smscPort: number;
  /** mm1.pushRate (and pushMaxInFlight = its double, at least 100); undefined: the config defaults. */
  pushRate: number | undefined;
  logLevel: string;
  profileDir: string | undefined;
  /** content.imageAdapter: 'process' (the default) or 'inline' (`--image-adapter=inline`). */
  imageAdapter: 'process' | 'inline';
}

function gatewayConfig(o: ServerOptions) {
  return ConfigSchema.parse({
    redis: { url: o.redisUrl },
    queue: { prefix: o.prefix },
    ops: { port: 0 },
    log: { level: o.logLevel },
    mm7: { enabled: false },
    content: {
      imageAdapter: o.imageAdapter,
      userAgents: [{ name: 'bench-handset', match: '^MmscBench/', maxMessageBytes: 300 * 1024, maxImageWidth: 1280, maxImageHeight: 1280 }],
    },
    mm1: {
      port: 0,
      publicUrl: PUBLIC_URL,
      tokenSecret: SECRET,
      localPrefixes: ['+1555'],
      // The bench's 16 senders stand for many subscribers: the per-subscriber submission limit is off.
      submitRate: 0,
      ...(o.pushRate !== undefined ? { pushRate: o.pushRate, pushMaxInFlight: Math.max(100, Math.ceil(2 * o.pushRate)) } : {}),
    },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: o.smscPort, systemId: SMSC_ID, password: SMSC_PASSWORD, sourceAddr: '6000', window: 50 },
      ],
    },
  });
}

async function requestCounts(gw: Gateway): Promise<Map<string, number>> {
  const m = await gw.metrics.mm1Requests.get();
  return new Map(m.values.map((v) => [`${String(v.labels.pdu)} ${String(v.labels.status)}`, v.value]));
}

/** `--server` mode: the gateway in this process. */
async function serverChild(): Promise<void> {
  const o: ServerOptions = {
    redisUrl: stringArg('redis')!,
    prefix: stringArg('prefix')!,
    smscPort: numberArg('smsc-port', 0),
    pushRate: stringArg('push-rate') === undefined ? undefined : numberArg('push-rate', 100),
    logLevel: stringArg('log') ?? 'silent',
    profileDir: stringArg('profile-dir'),
    imageAdapter: imageAdapterArg(),
  };
  const { gw, listeners } = await startBenchGateway(gatewayConfig(o), o.logLevel);
  const url = listeners.find((l) => l.iface === 'mm1')!.address;

  const meter = processMeter(o.profileDir ? { dir: o.profileDir, name: 'mm1-server' } : undefined);
  let counts0 = new Map<string, number>();
  serveOverIpc<ServerStats>({
    url,
    async mark() {
      counts0 = await requestCounts(gw);
      await meter.mark();
    },
    async read() {
      const stats = await meter.read();
      return { ...stats, requests: countsSince(await requestCounts(gw), counts0) };
    },
    close: () => gw.stop(),
  });
}

type ServerHandle = MeasuredServer<ServerStats>;

function imageAdapterArg(): 'process' | 'inline' {
  const v = stringArg('image-adapter') ?? 'process';
  if (v !== 'process' && v !== 'inline') throw new Error(`--image-adapter=${v}: process or inline`);
  return v;
}

function forkServer(o: ServerOptions): Promise<ServerHandle> {
  const argv = ['--server', `--redis=${o.redisUrl}`, `--prefix=${o.prefix}`, `--smsc-port=${o.smscPort}`, `--log=${o.logLevel}`];
  argv.push(`--image-adapter=${o.imageAdapter}`); // the child reads it as serverChild's imageAdapterArg()
  if (o.pushRate !== undefined) argv.push(`--push-rate=${o.pushRate}`);
  if (o.profileDir) argv.push(`--profile-dir=${o.profileDir}`);
  return forkMeasuredServer<ServerStats>(fileURLToPath(import.meta.url), argv, 'mm1 gateway');
}

// ---------------------------------------------------------------------------------------------------------
// Plain HTTP (set-up and checks), with the answer's bytes.

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(
  url: string,
  o: { method?: string; headers?: Record<string, string | number>; body?: Buffer },
): Promise<{ status: number; body: Buffer }> {
  return httpExchange(agent, url, o);
}

/** POSTs an m-send-req as subscriber `from`: the Message-ID of an m-send-conf Ok, else throws with what came back. */
async function submit(base: string, from: string, body: Buffer): Promise<string> {
  const a = await http(`${base}/`, { method: 'POST', headers: { 'content-type': MMS, 'x-msisdn': from, 'user-agent': USER_AGENT }, body });
  let pdu: MmsPdu | undefined;
  try {
    pdu = decodePdu(a.body);
  } catch {
    // reported below
  }
  if (a.status !== 200 || pdu?.messageType !== 'm-send-conf' || pdu.responseStatus !== 'Ok' || typeof pdu.messageId !== 'string') {
    throw new Error(
      `m-send-req not accepted: HTTP ${a.status}, ${pdu ? JSON.stringify({ type: pdu.messageType, status: pdu.responseStatus, text: pdu.responseText }) : a.body.toString('latin1').slice(0, 200)}`,
    );
  }
  return pdu.messageId;
}

/** GETs a retrieval URL and checks the answer: m-retrieve-conf of `messageId` whose parts are `sent`'s, byte for byte. */
async function checkRetrieval(base: string, path: string, msisdn: string, messageId: string, sent: readonly Buffer[]): Promise<number> {
  const a = await http(`${base}${path}`, { headers: { 'x-msisdn': msisdn, 'user-agent': USER_AGENT } });
  const pdu = decodePdu(a.body);
  const parts = pdu.parts ?? [];
  const size = parts.reduce((s, p) => s + p.data.length, 0);
  const jpeg = parts.find((p) => p.contentType.mediaType === 'image/jpeg');
  if (
    a.status !== 200 ||
    pdu.messageType !== 'm-retrieve-conf' ||
    pdu.messageId !== messageId ||
    parts.length !== sent.length ||
    parts.some((p, i) => !p.data.equals(sent[i]!))
  ) {
    throw new Error(
      `retrieval of ${messageId} wrong: HTTP ${a.status}, ${pdu.messageType} ${String(pdu.retrieveStatus ?? '')} ${String(pdu.messageId)}, ${parts.length} parts of ${size} bytes (jpeg ${jpeg?.data.length})`,
    );
  }
  return a.body.length;
}

// ---------------------------------------------------------------------------------------------------------
// The load: autocannon.

/** cpuMs is this process' CPU over the run: the load generator (the SMSC simulator in it is idle or nearly). */
interface LoadResult extends LoadRun {
  /** Answers by HTTP status. */
  statuses: Map<number, number>;
  /** 200 answers whose body has a Message-ID (m-send-conf Ok); phase 1 only. */
  withMessageId: number;
  /** Bytes of request bodies sent (answered requests). */
  requestBytes: number;
}

/**
 * autocannon turns every answer body into a string (`body += chunk`, UTF-8) for onResponse/expectBody, whether
 * anyone reads it or not: about 1.3 ms of load-generator CPU per 100 KB answer, on the same two cores as the
 * server (~0.2 ms per retrieval). Where no body is read (the retrievals; checked apart with node:http), it is
 * not kept: PipelinedRequestsQueue.addBody (autocannon 9 internals) becomes a no-op. `--keep-bodies`: stock.
 */
const answerQueue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as {
  prototype: { addBody(data: Buffer): void };
};
const keepBody = answerQueue.prototype.addBody;
const dropAnswerBodies = (drop: boolean) => void (answerQueue.prototype.addBody = drop ? () => {} : keepBody);

/** A Message-ID of newMessageId's form as it stands in an m-send-conf (0x8B, text, NUL), read through UTF-8. */
const MESSAGE_ID = /[0-9a-z]{1,10}-[0-9a-f]{16}\0/;

async function load(
  url: string,
  connections: number,
  durationS: number,
  requests: autocannon.Request[],
  bodyBytes: number,
  countIds: boolean,
): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  let withMessageId = 0;
  const onResponse = countIds
    ? (status: number, body: string) => {
        if (status === 200 && MESSAGE_ID.test(body)) withMessageId++;
      }
    : undefined;
  dropAnswerBodies(!countIds && !flag('keep-bodies'));
  const r = await runAutocannon(
    { url, connections, duration: durationS, requests: onResponse ? requests.map((q) => ({ ...q, onResponse })) : requests },
    (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
  );
  return { ...r, statuses, withMessageId, requestBytes: r.latencies.length * bodyBytes };
}

// ---------------------------------------------------------------------------------------------------------
// The phases.

interface Env {
  redisUrl: string;
  admin: Redis;
  connections: number;
  durationS: number;
  warmupS: number;
  logLevel: string;
  profileDir: string | undefined;
}

interface Figure {
  rate: number;
  /** Server CPU per answer counted, µs. */
  serverUs: number;
  p50: number;
  p99: number;
  /** CPU the kernel and other processes took during the run, in cores: the noise in the figure. */
  others: number;
}

interface Measured extends MeasuredRun<LoadResult, ServerStats> {
  /** Notifications (submit_sm) the SMSC simulator accepted during the run. */
  pushes: number;
}

/** Warm-up, then the measured run with the server's, Redis' and the machine's CPU around it. */
async function measure(
  env: Env,
  server: ServerHandle,
  smsc: Smsc,
  run: (seconds: number) => Promise<LoadResult>,
  what: string,
): Promise<Measured> {
  if (env.warmupS > 0) {
    const w = await run(env.warmupS);
    console.log(`  warm-up: ${fmt(w.latencies.length)} ${what} answered in ${fmt(w.durationS, 1)} s (not counted)`);
  }
  let pushes = 0;
  const m = await measureRun(env.admin, server, async () => {
    const pushes0 = smsc.accepted;
    const r = await run(env.durationS);
    pushes = smsc.accepted - pushes0;
    return r;
  });
  return { ...m, pushes };
}

/** The lines common to the phases: answers, latency, CPU. Returns the figure. */
function reportRun(env: Env, m: Measured, good: number, unit: string, counter = 'mmsc_mm1_requests_total'): Figure {
  const { load: r, stats, redis } = m;
  const byStatus = [...r.statuses]
    .sort((x, y) => y[1] - x[1])
    .map(([s, n]) => `HTTP ${s}: ${fmt(n)}`)
    .join(', ');
  console.log(
    `  ${env.connections} connections, ${fmt(r.durationS, 2)} s: ${fmt(r.sent)} requests sent, ${fmt(r.latencies.length)} answered (${byStatus || 'none'}), ${r.errors} errors, ${r.timeouts} timeouts`,
  );
  console.log(
    `  server counted (${counter}): ${
      Object.entries(stats.requests)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(', ') || 'nothing'
    }`,
  );
  console.log(`  ${latencyLine(r.latencies)}`);
  const wallMs = r.durationS * 1000;
  const serverMs = stats.cpuUserMs + stats.cpuSystemMs;
  const share = (ms: number) => `${fmt((100 * ms) / wallMs)}%`;
  const othersMs = Math.max(0, m.machineMs - serverMs - r.cpuMs - redis.cpuMs);
  const per = (ms: number) => `${fmt((1000 * ms) / Math.max(1, good))} µs`;
  console.log(
    `  CPU, % of one core: server ${share(serverMs)} (user ${fmt(stats.cpuUserMs)} ms, sys ${fmt(stats.cpuSystemMs)} ms), load generator ${share(r.cpuMs)}, ` +
      `redis-server ${share(redis.cpuMs)}; machine ${share(m.machineMs)} of ${cpus().length * 100}% (kernel and other processes: ${share(othersMs)})`,
  );
  console.log(
    `  CPU per ${unit}: server ${per(serverMs)}, load generator ${per(r.cpuMs)}, redis-server ${per(redis.cpuMs)}; ` +
      `server event loop busy ${fmt(100 * stats.elu)}% of the run, RSS ${fmt(stats.rssMb)} MB`,
  );
  console.log(`  Redis commands by server time: ${redis.commands}; notifications pushed (SMSC) during the run: ${fmt(m.pushes)}`);
  if (stats.profile)
    for (const l of profileSummary(`server profile ${stats.profile}`, readProfile(stats.profile), { functions: 25 })) console.log(`  ${l}`);
  return {
    rate: good / r.durationS,
    serverUs: (1000 * serverMs) / Math.max(1, good),
    p50: pct(r.latencies, 0.5),
    p99: pct(r.latencies, 0.99),
    others: othersMs / wallMs,
  };
}

async function withGateway<T>(
  env: Env,
  smsc: Smsc,
  pushRate: number | undefined,
  tag: string,
  body: (server: ServerHandle, prefix: string) => Promise<T>,
): Promise<T> {
  const prefix = `mmsc-bench-mm1-${tag}-${randomBytes(4).toString('hex')}`;
  const server = await forkServer({
    redisUrl: env.redisUrl,
    prefix,
    smscPort: smsc.port,
    pushRate,
    logLevel: env.logLevel,
    profileDir: env.profileDir,
    imageAdapter: imageAdapterArg(),
  });
  try {
    return await body(server, prefix);
  } finally {
    await server.close();
    const deleted = await deletePrefix(env.admin, prefix);
    console.log(`  (${fmt(deleted)} keys of ${prefix} deleted)`);
  }
}

/** Messages in the store under `prefix` (every message is in its shard's expiry index; one shard). */
const storedMessages = (admin: Redis, prefix: string) => admin.zcard(`${prefix}:{s0}:exp`);

async function sendPhase(env: Env, smsc: Smsc, pushRate: number | undefined): Promise<Figure> {
  const jpeg = benchJpeg(SEND_JPEG_BYTES);
  const bodies = Array.from({ length: VARIANTS }, (_, i) => sendReq(`bench-${process.pid}-${i}`, SEND_RECIPIENT, jpeg));
  const bodyBytes = bodies[0]!.length;
  console.log(
    `\nphase 1: m-send-req accepted/s. m-send-req multipart/related (SMIL ${SMIL.length} B, text ${TEXT.length} B, image/jpeg ${fmt(jpeg.length)} B), ` +
      `${fmt(bodyBytes)} B PDU, 1 local recipient; ${VARIANTS} variants (sender, Transaction-ID); notifications pushed at ${pushRate === undefined ? 'the default mm1.pushRate (100/s)' : `${fmt(pushRate)}/s`}`,
  );
  return withGateway(env, smsc, pushRate, 'send', async (server, prefix) => {
    const id = await submit(server.url, sender(0), bodies[0]!);
    console.log(`  check: one m-send-req answered m-send-conf Ok, Message-ID ${id}`);
    const requests: autocannon.Request[] = bodies.map((body, i) => ({
      method: 'POST',
      path: '/',
      headers: { 'content-type': MMS, 'x-msisdn': sender(i), 'user-agent': USER_AGENT },
      body,
    }));
    const m = await measure(env, server, smsc, (s) => load(server.url, env.connections, s, requests, bodyBytes, true), 'm-send-req');
    const accepted = m.stats.requests['m-send-req Ok'] ?? 0;
    const figure = reportRun(env, m, accepted, 'accepted m-send-req');
    const r = m.load;
    const stored = await storedMessages(env.admin, prefix);
    console.log(
      `  accepted (m-send-conf Ok): ${fmt(accepted / r.durationS)} m-send-req/s (server count ${fmt(accepted)}; load generator saw ${fmt(r.withMessageId)} 200 answers with a Message-ID); ` +
        `${fmt(r.requestBytes / r.durationS / 1e6, 1)} MB/s of PDUs up`,
    );
    console.log(`  store: ${fmt(stored)} messages under the prefix (every accepted one, warm-up and check included)`);
    if (accepted !== r.withMessageId)
      console.log(
        `  NOTE: server and load generator counts differ by ${fmt(Math.abs(accepted - r.withMessageId))} (answers in flight at the end of the run)`,
      );
    return figure;
  });
}

async function retrievePhase(env: Env, smsc: Smsc, messages: number): Promise<Figure> {
  const jpegBytes = MESSAGE_BYTES - SMIL.length - TEXT.length;
  const jpeg = benchJpeg(jpegBytes, 0x31303020);
  console.log(
    `\nphase 2: retrievals/s. ${fmt(messages)} messages of ${fmt(MESSAGE_BYTES)} B of content (SMIL ${SMIL.length} B, text ${TEXT.length} B, image/jpeg ${fmt(jpegBytes)} B), ` +
      `each to its own recipient; GET /r/<token> round-robin with the recipient's x-msisdn`,
  );
  // A push rate that notifies the set-up messages in a few seconds; nothing is pushed during the run.
  return withGateway(env, smsc, 5_000, 'retrieve', async (server, prefix) => {
    const t0 = performance.now();
    const accepted0 = smsc.accepted;
    const ids: string[] = new Array<string>(messages);
    let nextIndex = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = nextIndex++; i < messages; i = nextIndex++)
          ids[i] = await submit(server.url, sender(i), sendReq(`setup-${i}`, recipient(i), jpeg));
      }),
    );
    const sentS = (performance.now() - t0) / 1000;
    // Every copy notified: the SMSC has a push per message, and every job waits for its acknowledgement.
    const store = new Redis(env.redisUrl, { maxRetriesPerRequest: 2 });
    try {
      const { queue } = createRedisStore({ redis: store, prefix });
      const deadline = Date.now() + 120_000;
      while (smsc.accepted - accepted0 < messages) {
        if (Date.now() > deadline) throw new Error(`only ${smsc.accepted - accepted0} of ${messages} notifications pushed`);
        await sleep(100);
      }
      for (;;) {
        const states = await Promise.all(ids.map((id) => queue.states(id)));
        const notNotified = states.filter((s) => s?.[0] !== 'notified').length;
        if (notNotified === 0) break;
        if (Date.now() > deadline)
          throw new Error(
            `${notNotified} of ${messages} jobs not waiting for retrieval: ${JSON.stringify(states.find((s) => s?.[0] !== 'notified'))}`,
          );
        await sleep(200);
      }
    } finally {
      store.disconnect();
    }
    console.log(
      `  set-up: ${fmt(messages)} m-send-req accepted in ${fmt(sentS, 1)} s, all notified (${fmt(smsc.accepted - accepted0)} pushes at the SMSC, every job 'notified') ` +
        `after ${fmt((performance.now() - t0) / 1000, 1)} s; ${fmt(await storedMessages(env.admin, prefix))} messages in the store`,
    );

    const tokens = new Tokens(SECRET);
    const paths = ids.map((id) => `/r/${tokens.retrieval(id, 0)}`);
    const sample = Array.from({ length: 8 }, (_, k) => Math.floor((k * (messages - 1)) / 7));
    let pduBytes = 0;
    const check = async (when: string) => {
      for (const i of sample) pduBytes = await checkRetrieval(server.url, paths[i]!, recipient(i), ids[i]!, [SMIL, TEXT, jpeg]);
      console.log(
        `  check ${when}: ${sample.length} answers decode to m-retrieve-conf with the expected Message-ID and the ${fmt(MESSAGE_BYTES)} B of parts sent (${fmt(pduBytes)} B PDU)`,
      );
    };
    await check('before');
    let next = 0;
    const requests: autocannon.Request[] = [
      {
        method: 'GET',
        path: paths[0]!,
        setupRequest: (req) => {
          const i = next++ % messages;
          return { ...req, method: 'GET', path: paths[i]!, headers: { 'x-msisdn': recipient(i), 'user-agent': USER_AGENT } };
        },
      },
    ];
    const m = await measure(env, server, smsc, (s) => load(server.url, env.connections, s, requests, 0, false), 'retrievals');
    const r = m.load;
    const ok = r.statuses.get(200) ?? 0;
    const figure = reportRun(env, m, ok, 'retrieval');
    const non200 = r.latencies.length - ok;
    console.log(
      `  retrievals (HTTP 200): ${fmt(ok / r.durationS)}/s (server count retrieve Ok ${fmt(m.stats.requests['retrieve Ok'] ?? 0)}), ` +
        `${fmt(r.responseBytes / r.durationS / 1e6, 1)} MB/s down (${fmt(r.responseBytes / Math.max(1, r.latencies.length))} B per answer, headers included); ${fmt(non200)} non-200 answers`,
    );
    if (r.responseBytes < r.latencies.length * pduBytes)
      throw new Error(`answers shorter than the ${pduBytes} B m-retrieve-conf on average`);
    await check('after');
    return figure;
  });
}

/** The size of phase 2's m-retrieve-conf (its check prints it): what the floor answers. */
const RETRIEVE_CONF_BYTES = 102_637;

/** The floor phase: the retrieval's I/O without the gateway (bench/lib/retrieval-floor.ts), under the same load. */
async function floorPhase(env: Env, smsc: Smsc, messages: number): Promise<Figure> {
  console.log(
    `\nfloor: a retrieval's I/O without the gateway (bench/lib/retrieval-floor.ts): ${fmt(messages)} answers of ${fmt(RETRIEVE_CONF_BYTES)} B ` +
      `in Redis, read by one MGET a turn and written to the connection; GET /f/<i> round-robin with phase 2's headers`,
  );
  const prefix = `mmsc-bench-mm1-floor-${randomBytes(4).toString('hex')}`;
  const body = benchJpeg(RETRIEVE_CONF_BYTES, 0x666c6f72);
  for (let i = 0; i < messages; i += 100) {
    const batch = env.admin.pipeline();
    for (let k = i; k < Math.min(messages, i + 100); k++) batch.set(floorKey(prefix, k), body);
    await batch.exec();
  }
  const server = await forkFloorServer(env.redisUrl, prefix, env.profileDir);
  try {
    let next = 0;
    const requests: autocannon.Request[] = [
      {
        method: 'GET',
        path: '/f/0',
        setupRequest: (req) => {
          const i = next++ % messages;
          return { ...req, method: 'GET', path: `/f/${i}`, headers: { 'x-msisdn': recipient(i), 'user-agent': USER_AGENT } };
        },
      },
    ];
    const m = await measure(env, server, smsc, (sec) => load(server.url, env.connections, sec, requests, 0, false), 'answers');
    const r = m.load;
    const ok = r.statuses.get(200) ?? 0;
    const figure = reportRun(env, m, ok, 'answer', 'its answers by status');
    if (r.responseBytes < ok * RETRIEVE_CONF_BYTES) throw new Error(`floor answers shorter than ${RETRIEVE_CONF_BYTES} B on average`);
    return figure;
  } finally {
    await server.close();
    console.log(`  (${fmt(await deletePrefix(env.admin, prefix))} keys of ${prefix} deleted)`);
  }
}

async function main(): Promise<void> {
  const connections = numberArg('connections', 64);
  const durationS = numberArg('duration', 10);
  const warmupS = numberArg('warmup', 2);
  const messages = numberArg('messages', 2_000);
  const pushRate = stringArg('push-rate') === undefined ? undefined : numberArg('push-rate', 100);
  const phases = (stringArg('phases') ?? 'send,retrieve,floor').split(',');
  const logLevel = stringArg('log') ?? 'silent';
  const idleBefore = await idleShare();

  const { url: redisUrl, server: redisServer } = await benchRedis(stringArg('redis') ?? process.env.REDIS_URL);
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const smsc = await startSmsc({ systemId: SMSC_ID, password: SMSC_PASSWORD, record: false });
  try {
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    console.log(
      `MM1 bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(100 * idleBefore)}% idle before the run, ${new Date().toISOString()}\n` +
        `Redis ${version} at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (${redisServer ? 'private server started for this run, no persistence' : 'given'}); ` +
        `gateway in a child process (MM1 + workers + SMPP edge), SMSC simulator in this process; ${mallocNote()}\n` +
        `load: autocannon, ${connections} connections, ${durationS} s after a ${warmupS} s warm-up per phase; server log level ${logLevel}`,
    );
    const env: Env = {
      redisUrl,
      admin,
      connections,
      durationS,
      warmupS,
      logLevel,
      profileDir: flag('profile') ? mkdtempSync(join(tmpdir(), 'mmsc-bench-mm1-prof-')) : undefined,
    };
    const send = phases.includes('send') ? await sendPhase(env, smsc, pushRate) : undefined;
    const retrieve = phases.includes('retrieve') ? await retrievePhase(env, smsc, messages) : undefined;
    const floor = phases.includes('floor') ? await floorPhase(env, smsc, messages) : undefined;
    console.log(
      `\nsummary (${cpus().length} CPUs, node ${process.version}${flag('keep-bodies') ? ', stock autocannon (--keep-bodies)' : ''})`,
    );
    const line = (what: string, f: Figure, target: number, unit: string) =>
      console.log(
        `  ${what}: ${fmt(f.rate)}/s, p50 ${fmt(f.p50, 1)} ms, p99 ${fmt(f.p99, 1)} ms; target >= ${fmt(target)} ${unit}: ${f.rate >= target ? 'met' : 'not met'}` +
          (f.others > 0.2 ? ` (the kernel and other processes took ${fmt(100 * f.others)}% of a core during the run: noisy figure)` : ''),
      );
    if (retrieve) line(`retrievals of a 100 KB message, ${connections} clients`, retrieve, TARGET_RETRIEVALS, 'retrievals/s');
    if (send) line(`m-send-req accepted, ${connections} clients`, send, TARGET_SUBMISSIONS, 'submissions/s');
    if (retrieve) console.log(`  server CPU per retrieval: ${fmt(retrieve.serverUs)} µs`);
    if (floor)
      console.log(
        `  floor, the same I/O without the gateway: ${fmt(floor.serverUs)} µs of server CPU an answer, ${fmt(floor.rate)}/s` +
          (retrieve ? ` (the gateway's own work: ${fmt(retrieve.serverUs - floor.serverUs)} µs a retrieval)` : ''),
      );
    if (idleBefore < 0.9)
      console.log(`  CPU idle just before the run: ${fmt(100 * idleBefore)}% (other work was running then: low, noisy figures)`);
  } finally {
    agent.destroy();
    await smsc.stop();
    await admin.quit();
    await redisServer?.stop();
  }
}

if (flag('server')) await serverChild();
else await main();
