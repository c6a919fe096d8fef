// Mutation fuzzing of decodePdu/encodePdu from the public positive vectors, with a fixed seed.
// Property: decodePdu returns or throws PduError (nothing else, no hang); when it returns, encodePdu returns a
// Buffer or throws PduError; and when that gives a Buffer, decoding it again succeeds.
// Each iteration has its own PRNG stream derived from (SEED, iteration), so one failing iteration can be
// replayed alone: PDU_FUZZ_ITER=<n> npx tap test/protocols/pdu-fuzz.test.ts
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import vm from 'node:vm';
import t from 'tap';
import { PduError, decodePdu, encodePdu } from '../../protocols/mms/index.js';
import type { DecodeOptions, MmsPdu } from '../../protocols/mms/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { VECTORS } from '../helpers/paths.js';

const SEED = 0x5eed_2024;
const ITERATIONS = 300_000;
const PREFIX = 4096; // most inputs are mutated from a vector's first 4 KiB ...
const FULL_ONE_IN = 25; // ... and one in 25 from the whole vector (the largest is ~264 KB)
const BATCH = 500; // iterations run under one vm timeout
const BATCH_TIMEOUT_MS = 30_000; // a batch normally takes well under a second
const SLOW_MS = 2_000; // a single input taking this long is reported as a hang
const vectorDir = path.join(VECTORS, 'pdu');

const INTERESTING = [0x00, 0x1f, 0x7f, 0x80, 0xff];
// Length fields made large: Length-quote + uintvar 2^32-1; a 30-octet Long-integer; uintvar 2^32-1 alone
// (multipart HeadersLen/DataLen/nEntries); uintvar 10^6 (BD 84 40).
const LENGTH_BOMBS = [
  [0x1f, 0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0x1e, ...new Array<number>(30).fill(0xff)],
  [0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0xbd, 0x84, 0x40],
];

interface Vector {
  name: string;
  buf: Buffer;
}

interface Case {
  input: Buffer;
  vector: string;
  ops: string[];
  options: DecodeOptions;
}

function loadVectors(): Vector[] {
  const out: Vector[] = [];
  for (const sub of ['mmsd', 'mms-engine']) {
    const dir = path.join(vectorDir, sub);
    for (const f of fs.readdirSync(dir).sort()) {
      if (f.endsWith('.txt') || /garbage|UnparsableResp|\.html$/.test(f)) continue;
      out.push({ name: `${sub}/${f}`, buf: fs.readFileSync(path.join(dir, f)) });
    }
  }
  return out;
}

/** The mutated input of iteration i: a pure function of (SEED, i) and the vector list. */
function makeCase(vectors: Vector[], i: number): Case {
  const next = mulberry32((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const r = (n: number): number => (n <= 0 ? 0 : next() % n);
  const v = vectors[r(vectors.length)]!;
  const full = r(FULL_ONE_IN) === 0;
  let b = Buffer.from(full ? v.buf : v.buf.subarray(0, PREFIX)); // a copy: mutations never touch the vector
  const ops: string[] = [full ? 'full' : 'prefix'];
  const rounds = 1 + r(4);
  for (let k = 0; k < rounds; k++) {
    const p = r(b.length);
    switch (r(9)) {
      case 0: {
        if (b.length === 0) break;
        const bit = r(8);
        b[p] ^= 1 << bit;
        ops.push(`flip ${p}.${bit}`);
        break;
      }
      case 1: {
        if (b.length === 0) break;
        b[p] = INTERESTING[r(INTERESTING.length)]!;
        ops.push(`set ${p}=${b[p]!.toString(16)}`);
        break;
      }
      case 2: {
        if (b.length === 0) break;
        b[p] = r(256);
        ops.push(`set ${p}=${b[p]!.toString(16)}`);
        break;
      }
      case 3: {
        const n = r(b.length + 1);
        b = b.subarray(0, n);
        ops.push(`truncate ${n}`);
        break;
      }
      case 4: {
        const n = 1 + r(8);
        const ins = Buffer.alloc(n);
        for (let j = 0; j < n; j++) ins[j] = r(256);
        b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
        ops.push(`insert ${p}+${n}`);
        break;
      }
      case 5: {
        const n = 1 + r(16);
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
        ops.push(`delete ${p}-${n}`);
        break;
      }
      case 6: {
        const from = r(b.length + 1);
        const n = 1 + r(64);
        b = Buffer.concat([b.subarray(0, p), b.subarray(from, from + n), b.subarray(p)]);
        ops.push(`dup ${from}+${n}@${p}`);
        break;
      }
      case 7: {
        // Inflate a length: a Short-length (0-30) made larger, or any octet replaced by a length bomb.
        const lengths: number[] = [];
        for (let j = 0; j < b.length; j++) if (b[j]! <= 30) lengths.push(j);
        if (lengths.length > 0 && r(2) === 0) {
          const q = lengths[r(lengths.length)]!;
          b[q] = Math.min(30, b[q]! + 1 + r(8));
          ops.push(`grow ${q}=${b[q]}`);
        } else {
          const bomb = LENGTH_BOMBS[r(LENGTH_BOMBS.length)]!;
          b = Buffer.concat([b.subarray(0, p), Buffer.from(bomb), b.subarray(p + 1)]);
          ops.push(`bomb ${p}:${bomb.length}`);
        }
        break;
      }
      case 8: {
        // Swap two random octets (reorders header codes and values).
        const q = r(b.length);
        if (b.length === 0) break;
        const x = b[p]!;
        b[p] = b[q]!;
        b[q] = x;
        ops.push(`swap ${p},${q}`);
        break;
      }
    }
  }
  const o = r(10);
  const options: DecodeOptions = o === 0 ? { checkMandatory: false } : o === 1 ? { maxParts: 4, maxDepth: 2, maxHeaders: 16 } : {};
  return { input: b, vector: v.name, ops, options };
}

interface Failure {
  kind: 'decode-threw' | 'encode-threw' | 'encode-not-buffer' | 'redecode-failed' | 'hang';
  seed: string;
  iteration: number;
  vector: string;
  ops: string;
  options: string;
  error: string;
  inputLength: number;
  inputHex: string;
}

function describe(e: unknown): string {
  if (e instanceof PduError) return `PduError ${e.code} at ${e.offset}: ${e.message}`;
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `non-Error thrown: ${util.inspect(e)}`;
}

t.test(`fuzz decodePdu/encodePdu, seed 0x${SEED.toString(16)}, ${ITERATIONS} iterations`, async (t) => {
  if (!fs.existsSync(vectorDir)) {
    t.fail(`vector directory missing: ${vectorDir}`);
    return;
  }
  const vectors = loadVectors();
  t.ok(vectors.length > 50, `${vectors.length} positive vectors as seeds`);

  const only = process.env.PDU_FUZZ_ITER === undefined ? undefined : Number(process.env.PDU_FUZZ_ITER);
  const first = only ?? 0;
  const last = only === undefined ? ITERATIONS : only + 1;

  const rejected: Record<string, number> = {};
  const encodeRejected: Record<string, number> = {};
  let decoded = 0;
  let reDecoded = 0;
  let modelStable = 0;
  let slowest = { ms: 0, iteration: -1 };
  let done = 0;
  const failures: Failure[] = [];
  const failureCount: Record<string, number> = {};
  let current: Case | undefined;
  let currentIteration = -1;

  const fail = (kind: Failure['kind'], c: Case, i: number, e: unknown): void => {
    failureCount[kind] = (failureCount[kind] ?? 0) + 1;
    if (failures.length >= 20) return;
    failures.push({
      kind,
      seed: `0x${SEED.toString(16)}`,
      iteration: i,
      vector: c.vector,
      ops: c.ops.join(', '),
      options: JSON.stringify(c.options),
      error: describe(e),
      inputLength: c.input.length,
      inputHex: c.input.subarray(0, 4096).toString('hex'),
    });
  };

  const runOne = (i: number): void => {
    const c = makeCase(vectors, i);
    current = c;
    currentIteration = i;
    const started = process.hrtime.bigint();
    let pdu: MmsPdu;
    try {
      pdu = decodePdu(c.input, c.options);
    } catch (e) {
      if (e instanceof PduError) rejected[e.code] = (rejected[e.code] ?? 0) + 1;
      else fail('decode-threw', c, i, e);
      return;
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > slowest.ms) slowest = { ms, iteration: i };
      if (ms > SLOW_MS) fail('hang', c, i, new Error(`decode took ${ms.toFixed(0)} ms`));
    }
    decoded++;
    let encoded: unknown;
    try {
      encoded = encodePdu(pdu);
    } catch (e) {
      if (e instanceof PduError) encodeRejected[e.code] = (encodeRejected[e.code] ?? 0) + 1;
      else fail('encode-threw', c, i, e);
      return;
    }
    if (!Buffer.isBuffer(encoded)) {
      fail('encode-not-buffer', c, i, new Error(`encodePdu returned ${typeof encoded}`));
      return;
    }
    let again: MmsPdu;
    try {
      again = decodePdu(encoded, c.options);
    } catch (e) {
      fail('redecode-failed', c, i, new Error(`${describe(e)}; encoding (first 256 octets) ${encoded.subarray(0, 256).toString('hex')}`));
      return;
    }
    reDecoded++;
    if (util.isDeepStrictEqual(again, pdu)) modelStable++;
  };

  // A hang inside the codec is synchronous: run batches under a vm timeout, which interrupts the running code
  // wherever it is, and report the iteration that was running.
  const context = vm.createContext({
    runBatch: (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        runOne(i);
        done++;
      }
    },
  });
  const started = Date.now();
  for (let from = first; from < last; from += BATCH) {
    const to = Math.min(last, from + BATCH);
    try {
      vm.runInContext(`runBatch(${from}, ${to})`, context, { timeout: BATCH_TIMEOUT_MS });
    } catch (e) {
      if (current) fail('hang', current, currentIteration, new Error(`interrupted after ${BATCH_TIMEOUT_MS} ms: ${describe(e)}`));
      break;
    }
  }
  const seconds = (Date.now() - started) / 1000;

  const totalRejected = Object.values(rejected).reduce((a, b) => a + b, 0);
  const byCount = (o: Record<string, number>): string =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  t.comment(`seed 0x${SEED.toString(16)}: ${done} inputs in ${seconds.toFixed(1)} s (${vectors.length} seed vectors)`);
  t.comment(`decoded ${decoded}, rejected ${totalRejected}: ${byCount(rejected)}`);
  t.comment(`of the decoded: encode rejected ${byCount(encodeRejected)}; re-decoded ${reDecoded}, same model ${modelStable}`);
  t.comment(`slowest input: iteration ${slowest.iteration}, ${slowest.ms.toFixed(1)} ms`);
  if (failures.length > 0) t.comment(`failures: ${byCount(failureCount)}`);

  const ofKind = (k: Failure['kind']): Failure[] => failures.filter((f) => f.kind === k);
  t.strictSame(ofKind('hang'), [], 'no input hangs the decoder');
  t.strictSame(ofKind('decode-threw'), [], 'decodePdu throws nothing but PduError');
  t.strictSame(ofKind('encode-threw'), [], 'encodePdu of a decoded PDU throws nothing but PduError');
  t.strictSame(ofKind('encode-not-buffer'), [], 'encodePdu returns a Buffer');
  t.strictSame(ofKind('redecode-failed'), [], 'what encodePdu wrote decodes again');
  if (only === undefined) {
    t.equal(done, ITERATIONS, `all ${ITERATIONS} inputs ran`);
    t.ok(ITERATIONS >= 100_000, 'at least 100,000 inputs');
    // The mutator must exercise both paths, or the property above is vacuous.
    t.ok(decoded > ITERATIONS / 20, `a fair share decodes (${decoded})`);
    t.ok(totalRejected > ITERATIONS / 4, `a fair share is rejected (${totalRejected})`);
    t.ok(Object.keys(rejected).length >= 8, `rejections spread over error codes (${Object.keys(rejected).length})`);
  } else {
    t.comment(`iteration ${only}: vector ${current?.vector}, ops ${current?.ops.join(', ')}, options ${JSON.stringify(current?.options)}`);
    t.comment(`input ${current?.input.toString('hex')}`);
  }
});
