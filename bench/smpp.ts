/**
 * SMPP submit_sm throughput benchmark (target: >= 5,000 submit_sm/s at window 50), loopback.
 *
 * The client: SmppClient as the gateway runs it (metrics on, a silent logger), one transceiver bind.
 * The SMSC: the test simulator (test/helpers/smsc.ts, node-smpp's server side; answers each submit_sm at
 * once, records nothing) in a child process (`--smsc` mode of this file), so that it has its own event loop.
 * For each window (1, 10, 50) the load is a closed loop of `window` callers, each submitting its next
 * message as soon as the previous one resolves, so the window stays full and latency is the submit's own
 * (submit() to submit_sm_resp): 160-octet short messages (data_coding 0, GSM text), `--count` submits per
 * setting (default 20,000) after a warm-up of count/10.
 *
 * Printed per window: submits/s, latency p50/p99/max, CPU of the client process and of the SMSC child over
 * the measured run (100% = one core), and whether the target holds. `--profile` records a CPU profile of the
 * client over the window-50 run (node:inspector) and prints the functions and files with the most self time.
 *
 * Options: --count=20000 --windows=1,10,50 --profile. Run with `npm run bench` (or
 * `npm run build && node dist/bench/smpp.js`).
 */
import { forkBenchChild } from './lib/child.js';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Metrics } from '../src/ops/metrics.js';
import { SmppClient, type SubmitSm } from '../src/smpp/client.js';
import { startSmsc } from '../test/helpers/smsc.js';
import { fmt, pct, profileSummary, startProfiler } from './lib/measure.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const stringArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const COUNT = Number(stringArg('count') ?? 20_000);
const WINDOWS = (stringArg('windows') ?? '1,10,50').split(',').map(Number);
const TARGET_RATE = 5_000; // submit_sm/s
const TARGET_WINDOW = 50;
const SYSTEM_ID = 'bench';
const PASSWORD = 'bench';

// ---------------------------------------------------------------------------------------------------------
// The SMSC child.

type ToChild = { kind: 'mark' } | { kind: 'read' };
type FromChild = { kind: 'ready'; port: number } | { kind: 'marked' } | { kind: 'cpu'; cpuMs: number; received: number };

async function smscChild(): Promise<void> {
  const smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD, record: false });
  let cpu0 = process.cpuUsage();
  let received0 = 0;
  const send = (m: FromChild) => process.send!(m);
  process.on('message', (m: ToChild) => {
    if (m.kind === 'mark') {
      cpu0 = process.cpuUsage();
      received0 = smsc.received;
      send({ kind: 'marked' });
    } else {
      const cpu = process.cpuUsage(cpu0);
      send({ kind: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000, received: smsc.received - received0 });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent is gone: never outlive it
  send({ kind: 'ready', port: smsc.port });
}

interface SmscHandle {
  port: number;
  mark(): Promise<void>;
  read(): Promise<{ cpuMs: number; received: number }>;
  close(): void;
}

async function forkSmsc(): Promise<SmscHandle> {
  const { child, next, ask, release } = forkBenchChild<FromChild, ToChild>(fileURLToPath(import.meta.url), ['--smsc'], 'SMSC');
  const { port } = await next('ready');
  return {
    port,
    async mark() {
      await ask({ kind: 'mark' }, 'marked');
    },
    read: () => ask({ kind: 'read' }, 'cpu'),
    close() {
      child.disconnect();
      release();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The load.

/** 160 GSM characters, numbered so that every message differs. */
function message(i: number): SubmitSm {
  const text = `bench ${String(i).padStart(8, '0')} `.padEnd(160, 'abcdefghijklmnopqrstuvwxyz0123456789 ');
  return {
    sourceAddr: '12345',
    sourceAddrTon: 3,
    sourceAddrNpi: 0,
    destinationAddr: `4917${String(i % 10_000_000).padStart(8, '0')}`,
    destAddrTon: 1,
    destAddrNpi: 1,
    esmClass: 0,
    dataCoding: 0,
    registeredDelivery: 0,
    shortMessage: Buffer.from(text.slice(0, 160), 'latin1'),
  };
}

/** `count` submits by `callers` callers in a closed loop; every latency in ms. */
async function closedLoop(client: SmppClient, count: number, callers: number, first: number): Promise<Float64Array> {
  const latencies = new Float64Array(count);
  let issued = 0;
  const caller = async () => {
    while (issued < count) {
      const i = issued++;
      const t0 = performance.now();
      await client.submit(message(first + i));
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return latencies.sort();
}

interface Figure {
  window: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  clientCpu: number;
  smscCpu: number;
  profile: string[] | undefined;
}

async function run(smsc: SmscHandle, window: number, profile: boolean): Promise<Figure> {
  const client = new SmppClient({
    id: 'bench',
    host: '127.0.0.1',
    port: smsc.port,
    systemId: SYSTEM_ID,
    password: PASSWORD,
    window,
    log: pino({ level: 'silent' }),
    metrics: new Metrics(),
  });
  client.start();
  while (!client.bound) await sleep(5);
  await closedLoop(client, Math.ceil(COUNT / 10), window, 0);

  const profiler = profile ? await startProfiler() : undefined;
  await smsc.mark();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const latencies = await closedLoop(client, COUNT, window, COUNT);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const child = await smsc.read();
  const summary = profiler ? profileSummary('client profile', await profiler.stop(), { functions: 15, files: 10 }) : undefined;
  await client.close();
  if (child.received !== COUNT) throw new Error(`the SMSC received ${child.received} submit_sm, expected ${COUNT}`);
  return {
    window,
    rate: COUNT / seconds,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: latencies[latencies.length - 1]!,
    clientCpu: (cpu.user + cpu.system) / 1000 / 1000 / seconds,
    smscCpu: child.cpuMs / 1000 / seconds,
    profile: summary,
  };
}

async function main(): Promise<void> {
  console.log(
    `SMPP submit_sm benchmark: ${fmt(COUNT)} submits per window, 160-octet short messages, loopback, SMSC simulator in a child process`,
  );
  const smsc = await forkSmsc();
  const figures: Figure[] = [];
  try {
    for (const window of WINDOWS) {
      const f = await run(smsc, window, flag('profile') && window === TARGET_WINDOW);
      figures.push(f);
      console.log(
        `  window ${String(window).padStart(3)}: ${fmt(f.rate).padStart(7)} submit_sm/s, latency p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms, ` +
          `max ${fmt(f.max, 1)} ms; CPU client ${fmt(100 * f.clientCpu)}%, SMSC ${fmt(100 * f.smscCpu)}%`,
      );
      for (const l of f.profile ?? []) console.log(`  ${l}`);
    }
  } finally {
    smsc.close();
  }
  const target = figures.find((f) => f.window === TARGET_WINDOW);
  if (target)
    console.log(
      `target: >= ${fmt(TARGET_RATE)} submit_sm/s at window ${TARGET_WINDOW}: ${fmt(target.rate)}/s, ${target.rate >= TARGET_RATE ? 'MET' : 'NOT MET'}`,
    );
}

if (flag('smsc')) await smscChild();
else await main();
