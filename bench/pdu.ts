/**
 * PDU codec benchmark (issue: >= 1,000,000 m-notification-ind decodes/s and encodes/s, >= 200,000
 * m-retrieve-conf decodes/s on one core; issue 26: the three public vectors below). Prints ops/s and MB/s per
 * case, and how many public vectors decode. Run with `npm run bench`, or after `npm run build`:
 *
 *   node dist/bench/pdu.js                                   this build's figures
 *   node dist/bench/pdu.js --against=<commit> [--rounds=5]   A/B: the codec of <commit> against this one
 *   node dist/bench/pdu.js --against=<commit> --callgrind      A/B in CPU instructions per operation (valgrind)
 *   node dist/bench/pdu.js --codec=<dist dir> --json          one measurement (what the A/B runs per process)
 *
 * The A/B mode checks <commit> out into a temporary git worktree (node_modules symlinked to this tree's),
 * builds it, then runs the same workload code (this file) against either build's protocols/, each workload
 * in a process of its own (`--workload=<name>`), alternating old and new for `--rounds` rounds so that the
 * host's drift hits both alike, and prints each workload's medians, the ratio new/old (above 1: the new
 * build is faster) and each side's range over the rounds. It also prints
 * the heap retained per decoded message (10,000 decodes of each vector kept alive; `--expose-gc`).
 * `--seconds=S` sets the measuring time per workload (1.5 s alone, 1 s in the A/B).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MmsPdu, Part } from '../protocols/mms/index.js';
import { childEnv, mallocNote } from './lib/child.js';

type Codec = typeof import('../protocols/mms/index.js');

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const vectors = resolve(root, 'conformance', 'vectors');

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const flag = (name: string): boolean => args.includes(`--${name}`);

/**
 * Run fn in batches until `seconds` have passed (after a warm-up of at least 0.3 s, so that the optimising
 * compiler is done even when its thread has to share the host); return operations per second of this
 * process's CPU time (user + system, every thread: the collector's and the compiler's work counts), which,
 * unlike the wall clock, does not count the time the host gave to other processes.
 */
function measure(fn: () => unknown, seconds: number, batch = 10_000): number {
  const warm = process.hrtime.bigint();
  for (let i = 0; i < 20_000 || process.hrtime.bigint() - warm < 300_000_000n; i++) fn();
  let ops = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < limit) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
  }
  const used = process.cpuUsage(cpu);
  return ops / ((used.user + used.system) / 1e6);
}

interface Workload {
  name: string;
  bytes: number;
  run: () => unknown;
  /** Measuring time relative to the default (large encodes are slow per op). */
  weight?: number;
}

/** The issue-26 vectors, by path under conformance/vectors/pdu. */
export const VECTORS = {
  notify: 'mmsd/mms_m_notify_ind_2.mms',
  retrieve: 'mms-engine/test_mms_codec__m-retrieve_2.conf',
  send: 'mms-engine/test_mms_codec__m-send_2.req',
} as const;

const readVector = (path: string): Buffer => readFileSync(join(vectors, 'pdu', path));

function workloads(codec: Codec): Workload[] {
  const { decodePdu, encodePdu } = codec;
  // A real operator notification (mms-engine vectors), ~120 bytes.
  const notification = readVector('mms-engine/test_mms_codec__m-notification_1.ind');
  const notificationModel = decodePdu(notification);

  // An m-send-req whose header set is ~1 KB: 36 recipients, charset subject, the usual flags, one text part.
  const sendReq: MmsPdu = {
    messageType: 'm-send-req',
    transactionId: 'T0123456789abcdef0123',
    mmsVersion: '1.3',
    date: new Date('2026-11-25T10:00:00Z'),
    from: { insertAddress: true },
    to: Array.from({ length: 24 }, (_, i) => `+1555000${String(i).padStart(4, '0')}/TYPE=PLMN`),
    cc: Array.from({ length: 12 }, (_, i) => `user${i}@example.com`),
    subject: { charset: 'utf-8', text: 'Grüße aus dem Benchmark — ein ziemlich langer Betreff' },
    messageClass: 'Personal',
    expiry: 604800,
    deliveryReport: 'Yes',
    readReport: 'No',
    priority: 'Normal',
    senderVisibility: 'Show',
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [
      { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: Buffer.from('hello') },
    ],
  };
  const sendReqBytes = encodePdu(sendReq);

  // A 300 KB m-retrieve-conf: SMIL + JPEG + text in multipart/related.
  const smil = Buffer.from(
    '<smil><head><layout><root-layout/><region id="Image" top="0" height="70%"/><region id="Text" top="70%" height="30%"/></layout></head>' +
      '<body><par dur="5s"><img src="cid:image" region="Image"/><text src="cid:text" region="Text"/></par></body></smil>',
  );
  const jpeg = Buffer.alloc(300 * 1024 - 600, 0x5a);
  jpeg.set([0xff, 0xd8, 0xff, 0xe0], 0);
  const parts: Part[] = [
    { contentType: { mediaType: 'application/smil', params: { name: 'smil.xml' } }, contentId: '<smil>', data: smil },
    {
      contentType: { mediaType: 'image/jpeg', params: { name: 'photo.jpg' } },
      contentId: '<image>',
      contentLocation: 'photo.jpg',
      data: jpeg,
    },
    {
      contentType: { mediaType: 'text/plain', params: { charset: 'utf-8', name: 'text.txt' } },
      contentId: '<text>',
      data: Buffer.from('Greetings from the benchmark'),
    },
  ];
  const retrieveConf: MmsPdu = {
    messageType: 'm-retrieve-conf',
    transactionId: 'R0123456789',
    mmsVersion: '1.3',
    messageId: 'M-20261125-000001@mmsc.example.net',
    date: new Date('2026-11-25T10:00:00Z'),
    from: '+15551230000/TYPE=PLMN',
    to: ['+15551239999/TYPE=PLMN'],
    subject: 'Photo',
    messageClass: 'Personal',
    priority: 'Normal',
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts,
  };
  const retrieveBytes = encodePdu(retrieveConf);

  // Issue 26's vectors: a 93-byte notification, a 5-part m-retrieve-conf, a 264 KB m-send-req.
  const notify2 = readVector(VECTORS.notify);
  const retrieve2 = readVector(VECTORS.retrieve);
  const send2 = readVector(VECTORS.send);
  const send2Model = decodePdu(send2);
  const retrieve2Model = decodePdu(retrieve2);

  const list: Workload[] = [
    { name: 'm-notification-ind decode', bytes: notification.length, run: () => decodePdu(notification) },
    { name: 'm-notification-ind encode', bytes: notification.length, run: () => encodePdu(notificationModel) },
    { name: 'm-send-req (~1 KB headers) decode', bytes: sendReqBytes.length, run: () => decodePdu(sendReqBytes) },
    { name: 'm-send-req (~1 KB headers) encode', bytes: sendReqBytes.length, run: () => encodePdu(sendReq) },
    { name: 'm-retrieve-conf 300 KB decode', bytes: retrieveBytes.length, run: () => decodePdu(retrieveBytes) },
    { name: 'm-retrieve-conf 300 KB encode', bytes: retrieveBytes.length, run: () => encodePdu(retrieveConf), weight: 2 / 3 },
    { name: `${VECTORS.notify} decode`, bytes: notify2.length, run: () => decodePdu(notify2) },
    { name: `${VECTORS.retrieve} decode`, bytes: retrieve2.length, run: () => decodePdu(retrieve2) },
    { name: `${VECTORS.retrieve} encode`, bytes: retrieve2.length, run: () => encodePdu(retrieve2Model), weight: 2 / 3 },
    { name: `${VECTORS.send} decode`, bytes: send2.length, run: () => decodePdu(send2) },
    { name: `${VECTORS.send} encode`, bytes: send2.length, run: () => encodePdu(send2Model), weight: 2 / 3 },
    // What any contiguous encode of it costs at least: one output of its size and a copy of its part data (no
    // codec here: the same in both builds of an A/B, so its ratio is the measurement's noise and its figure
    // the ceiling of the encode's).
    {
      name: `${VECTORS.send} floor (allocate + copy)`,
      bytes: send2.length,
      run: () => allocateAndCopy(send2.length, send2Model.parts!),
      weight: 2 / 3,
    },
  ];
  // The same as chunks whose large part data are the model's own buffers (what the MM1 retrieval writes
  // with writev); builds before encodePduChunks existed have no such workload.
  if (codec.encodePduChunks) {
    const chunks = codec.encodePduChunks;
    list.push({ name: `${VECTORS.send} encode as chunks`, bytes: send2.length, run: () => chunks(send2Model) });
  }
  return list;
}

/** An output of `size` octets with each part's data copied in, one after the other (see the floor workload). */
function allocateAndCopy(size: number, parts: readonly Part[]): Buffer {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return out;
}

/** Heap bytes retained per decoded message: 10,000 decodes of one input kept alive (needs --expose-gc). */
function retainedPerDecode(codec: Codec, buf: Buffer): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  const n = 10_000;
  const keep: unknown[] = new Array(n);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) keep[i] = codec.decodePdu(buf);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== n) throw new Error('unreachable');
  return (after - before) / n;
}

function report(name: string, bytes: number, opsPerSec: number): void {
  const mbs = (opsPerSec * bytes) / 1e6;
  console.log(
    `${name.padEnd(58)} ${String(bytes).padStart(7)} B  ${Math.round(opsPerSec).toLocaleString('en').padStart(11)} ops/s  ${mbs.toFixed(1).padStart(8)} MB/s`,
  );
}

async function loadCodec(dist: string): Promise<Codec> {
  return (await import(pathToFileURL(resolve(dist, 'protocols/mms/index.js')).href)) as Codec;
}

function publicVectors(codec: Codec): void {
  // Every public vector: positives must decode, negatives must be rejected with a PduError.
  let decoded = 0;
  let positives = 0;
  let rejected = 0;
  let negatives = 0;
  for (const dir of readdirSync(join(vectors, 'pdu'))) {
    for (const f of readdirSync(join(vectors, 'pdu', dir))) {
      if (f.endsWith('.txt')) continue;
      const negative = /garbage|Unparsable|\.html$/.test(f);
      const buf = readFileSync(join(vectors, 'pdu', dir, f));
      if (negative) negatives++;
      else positives++;
      try {
        codec.decodePdu(buf);
        if (!negative) decoded++;
      } catch (e) {
        if (!(e instanceof codec.PduError)) throw e;
        if (negative) rejected++;
      }
    }
  }
  console.log(`public vectors: ${decoded}/${positives} decoded, ${rejected}/${negatives} negative inputs rejected`);
}

type Figures = Record<string, number>;
const MEMORY = [`retained/decode ${VECTORS.notify}`, `retained/decode ${VECTORS.retrieve}`] as const;

/** One measurement of one build: every workload's ops/s (and retained bytes), as JSON on stdout. */
async function measureOnce(dist: string, seconds: number, only?: string, exact?: string): Promise<Figures> {
  const codec = await loadCodec(dist);
  const out: Figures = {};
  for (const w of workloads(codec)) {
    if (only && !w.name.includes(only)) continue;
    if (exact !== undefined && w.name !== exact) continue;
    const iterations = arg('iterations');
    if (iterations !== undefined) {
      // A fixed count after a fixed warm-up, for instruction counting (see `countInstructions`).
      for (let i = 0; i < (w.weight ? 1_000 : 20_000); i++) w.run();
      for (let i = Number(iterations); i > 0; i--) w.run();
      out[w.name] = Number(iterations);
    } else out[w.name] = measure(w.run, seconds * (w.weight ?? 1), w.weight ? 100 : 10_000);
  }
  if (arg('iterations') === undefined && (exact === MEMORY[0] || exact === MEMORY[1] || (!only && exact === undefined))) {
    out[MEMORY[0]] = retainedPerDecode(codec, readVector(VECTORS.notify));
    out[MEMORY[1]] = retainedPerDecode(codec, readVector(VECTORS.retrieve));
  }
  return out;
}

/**
 * CPU instructions per operation of one workload under valgrind's callgrind, which (unlike time) do not move
 * with the host's load: the difference between runs of n and 2n iterations (same start-up and warm-up),
 * over n; the median of `rounds` such pairs, as an optimising compilation that falls inside one window and
 * not the other moves a single pair's figure by up to 50 %. The collector's work counts too, and for the
 * large encodes it varies from run to run (a 264 KB encode measured 248 k and 389 k instructions for the
 * same build): give those several rounds. Memory effects (page faults of fresh buffers, cache misses) are
 * not instructions and do not show.
 */
function countInstructions(dist: string, workload: string, weighted: boolean, rounds: number): number {
  const n = weighted ? 2_000 : 20_000;
  const run = (iterations: number): number => {
    const r = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        fileURLToPath(import.meta.url),
        `--codec=${dist}`,
        '--json',
        `--workload=${workload}`,
        `--iterations=${iterations}`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`callgrind of ${workload} failed: ${r.stderr.slice(-500)}`);
    return Number(m[1]);
  };
  const diffs: number[] = [];
  for (let i = 0; i < rounds; i++) diffs.push((run(2 * n) - run(n)) / n);
  return median(diffs);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Build <commit> in a temporary worktree; returns its dist directory and a cleanup. */
function buildCommit(commit: string): { dist: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pdu-ab-'));
  const tree = join(dir, 'tree');
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', tree, commit], { stdio: 'ignore' });
  const cleanup = (): void => {
    try {
      execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
    // protocols/ only: the codec has no dependency outside it.
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'protocols/tsconfig.build.json', '--outDir', 'dist/protocols'], {
      cwd: tree,
      stdio: 'inherit',
    });
  } catch (e) {
    cleanup();
    throw e;
  }
  return { dist: join(tree, 'dist'), cleanup };
}

function runChild(dist: string, seconds: number, workload: string): Figures {
  const argv = [
    '--expose-gc',
    fileURLToPath(import.meta.url),
    `--codec=${dist}`,
    '--json',
    `--seconds=${seconds}`,
    `--workload=${workload}`,
  ];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 20, env: childEnv() });
  if (r.status !== 0) throw new Error(`measurement of ${dist} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Figures;
}

async function ab(commit: string): Promise<void> {
  const rounds = Number(arg('rounds') ?? 5);
  const seconds = Number(arg('seconds') ?? 1);
  const only = arg('only');
  const mine = resolve(here, '..');
  // Every workload in a process of its own: run after the others in one process, a workload inherits their
  // heap, their garbage of large buffers and their type feedback, which moved single figures by 2x.
  const chosen = workloads(await loadCodec(mine)).filter((w) => !only || w.name.includes(only));
  const names = chosen.map((w) => w.name);
  const weighted = new Set(chosen.filter((w) => w.weight).map((w) => w.name));
  const old = buildCommit(commit);
  const inOld = new Set(workloads(await loadCodec(old.dist)).map((w) => w.name));
  if (flag('callgrind')) {
    try {
      abInstructions(commit, names, weighted, inOld, old.dist, mine, Number(arg('rounds') ?? 3));
    } finally {
      old.cleanup();
    }
    return;
  }
  if (!only) names.push(MEMORY[0]);
  const a: Figures[] = [];
  const b: Figures[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const fa: Figures = {};
      const fb: Figures = {};
      for (const name of names) {
        // Alternate which build goes first, so that neither always follows the other.
        const both = name === MEMORY[0] || inOld.has(name);
        if (i % 2 === 0) {
          if (both) Object.assign(fa, runChild(old.dist, seconds, name));
          Object.assign(fb, runChild(mine, seconds, name));
        } else {
          Object.assign(fb, runChild(mine, seconds, name));
          if (both) Object.assign(fa, runChild(old.dist, seconds, name));
        }
      }
      a.push(fa);
      b.push(fb);
      process.stderr.write(`round ${i + 1}/${rounds} done\n`);
    }
  } finally {
    old.cleanup();
  }
  console.log(`node ${process.version}; A/B of the PDU codec, ${rounds} interleaved rounds, a process per workload and run, medians`);
  console.log(`old = ${commit}, new = this tree (${resolve(here, '..')}); ${mallocNote()}`);
  console.log(`${'workload'.padEnd(58)} ${'old ops/s'.padStart(11)} ${'new ops/s'.padStart(11)}  new/old  range old | new`);
  for (const name of Object.keys(b[0]!)) {
    const xa = a.map((f) => f[name]!).filter((v) => v !== undefined);
    const xb = b.map((f) => f[name]!);
    if (xa.length === 0) {
      console.log(
        `${name.padEnd(58)} ${'(none)'.padStart(11)} ${Math.round(median(xb)).toLocaleString('en').padStart(11)}  (not in the old build)`,
      );
      continue;
    }
    const mo = median(xa);
    const mn = median(xb);
    const memory = name.startsWith('retained');
    const f = (v: number) => (memory ? `${Math.round(v)} B` : Math.round(v).toLocaleString('en')).padStart(11);
    const range = (xs: number[]) => `${f(Math.min(...xs)).trim()}-${f(Math.max(...xs)).trim()}`;
    console.log(
      `${name.padEnd(58)} ${f(mo)} ${f(mn)}  ${(mn / mo).toFixed(2)}x${memory ? ' (bytes, lower is better)' : ''}  ${range(xa)} | ${range(xb)}`,
    );
  }
}

/** The A/B in instructions per operation (`--callgrind`): one count per workload and build. */
function abInstructions(
  commit: string,
  names: string[],
  weighted: Set<string>,
  inOld: Set<string>,
  oldDist: string,
  newDist: string,
  rounds: number,
): void {
  console.log(`node ${process.version}; A/B of the PDU codec in CPU instructions per operation (callgrind), median of ${rounds} pairs`);
  console.log(`old = ${commit}, new = this tree (${newDist})`);
  console.log(`${'workload'.padEnd(58)} ${'old instr'.padStart(11)} ${'new instr'.padStart(11)}  old/new`);
  for (const name of names) {
    const o = inOld.has(name) ? countInstructions(oldDist, name, weighted.has(name), rounds) : Number.NaN;
    const n = countInstructions(newDist, name, weighted.has(name), rounds);
    const f = (v: number) => (Number.isNaN(v) ? '-' : Math.round(v).toLocaleString('en')).padStart(11);
    console.log(`${name.padEnd(58)} ${f(o)} ${f(n)}  ${Number.isNaN(o) ? '' : `${(o / n).toFixed(2)}x`}`);
  }
}

async function main(): Promise<void> {
  const against = arg('against');
  if (against) return ab(against);
  const dist = arg('codec') ?? resolve(here, '..');
  if (flag('json')) {
    process.stdout.write(JSON.stringify(await measureOnce(dist, Number(arg('seconds') ?? 1.5), arg('only'), arg('workload'))));
    return;
  }
  const codec = await loadCodec(dist);
  console.log(`node ${process.version}, one core (this process), ${new Date().toISOString()}`);
  const seconds = Number(arg('seconds') ?? 1.5);
  for (const w of workloads(codec)) report(w.name, w.bytes, measure(w.run, seconds * (w.weight ?? 1), w.weight ? 100 : 10_000));
  publicVectors(codec);
}

if (!existsSync(vectors)) throw new Error(`no vectors at ${vectors}`);
await main();
