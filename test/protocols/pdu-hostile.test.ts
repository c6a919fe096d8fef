// Hostile and malformed MMS PDUs (OMA-TS-MMS_ENC-V1_3 over WAP-230-WSP encodings): each one must be rejected
// with a PduError whose code and offset are asserted, quickly and without allocating for declared sizes.
// Inputs are written by hand; offsets are counted by hand in the comments.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import type { Test } from 'tap';
import { PduError, decodePdu } from '../../protocols/mms/index.js';
import type { DecodeOptions, PduErrorCode } from '../../protocols/mms/index.js';
import { VECTORS } from '../helpers/paths.js';

const vectorDir = path.join(VECTORS, 'pdu');

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** WAP-230 §8.1.2 uintvar, for building inputs (never used to compute an expected value). */
function uintvar(n: number): number[] {
  const out = [n % 128];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n % 128) | 0x80);
  return out;
}

function expectPduError(
  tt: Test,
  input: Buffer,
  code: PduErrorCode,
  offset: number | readonly number[],
  what: string,
  options?: DecodeOptions,
): void {
  try {
    decodePdu(input, options);
  } catch (e) {
    tt.ok(e instanceof PduError, `${what}: throws a PduError`);
    if (!(e instanceof PduError)) {
      tt.comment(`${what}: ${String(e)}`);
      return;
    }
    tt.equal(e.code, code, `${what}: code ${code} (${e.message})`);
    if (typeof offset === 'number') tt.equal(e.offset, offset, `${what}: offset ${offset}`);
    else tt.ok(offset.includes(e.offset), `${what}: offset ${e.offset} is one of ${offset.join(', ')}`);
    return;
  }
  tt.fail(`${what}: expected PduError ${code}, decoded instead`);
}

/** Runs fn, fails the test if it throws anything but a PduError. Returns the error or undefined. */
function onlyPduError(fn: () => unknown): { other?: unknown; pdu?: PduError } {
  try {
    fn();
    return {};
  } catch (e) {
    return e instanceof PduError ? { pdu: e } : { other: e };
  }
}

// m-notifyresp-ind (0x83), Transaction-ID "A", MMS 1.3:  8C 83 | 98 41 00 | 8D 93   -> 7 octets (0..6)
const NOTIFYRESP = '8c 83 98 41 00 8d 93';
// m-notification-ind (0x82), Transaction-ID "A", MMS 1.3 -> 7 octets (0..6)
const NOTIFICATION = '8c 82 98 41 00 8d 93';
// m-retrieve-conf (0x84), MMS 1.3, Date 2003-01-01 (04 3E 12 2F 80), Content-Type multipart.mixed (0x23 -> A3)
//   8C 84 | 8D 93 | 85 04 3E 12 2F 80 | 84 A3   -> 12 octets (0..11); the multipart starts at 12
const RETRIEVE_MIXED = '8c 84 8d 93 85 04 3e 12 2f 80 84 a3';

t.test('not a PDU', async (t) => {
  expectPduError(t, Buffer.alloc(0), 'NOT_A_PDU', 0, 'empty buffer');
  expectPduError(t, hex('8d 93 8c 80'), 'NOT_A_PDU', 0, 'first header is MMS-Version, not Message-Type');
  expectPduError(t, hex('00 8c 80'), 'NOT_A_PDU', 0, 'leading NUL');
  expectPduError(t, hex('3c 68 74 6d 6c 3e'), 'NOT_A_PDU', 0, '"<html>"');
  // A lone 0x8C has no message type value: either reading is acceptable, at the start or where the value is missing.
  const lone = onlyPduError(() => decodePdu(hex('8c')));
  t.ok(lone.pdu, 'lone 0x8C: PduError');
  t.ok(lone.pdu && ['NOT_A_PDU', 'TRUNCATED'].includes(lone.pdu.code), `lone 0x8C: ${lone.pdu?.code}`);
  t.ok(lone.pdu && [0, 1].includes(lone.pdu.offset), 'lone 0x8C: offset 0 or 1');
});

t.test('unknown message type (OMA-TS-MMS_ENC §7.3.30: 0x80-0x97 assigned)', async (t) => {
  expectPduError(t, hex('8c 98 98 41 00 8d 93'), 'UNKNOWN_MESSAGE_TYPE', 1, '0x98, one past m-cancel-conf');
  expectPduError(t, hex('8c ff 8d 93'), 'UNKNOWN_MESSAGE_TYPE', 1, '0xFF');
  expectPduError(t, hex('8c 7f 8d 93'), 'UNKNOWN_MESSAGE_TYPE', 1, '0x7F is not even a Short-integer');
  expectPduError(t, hex('8c 00'), 'UNKNOWN_MESSAGE_TYPE', 1, '0x00');
});

t.test('truncated uintvar in a multipart (WAP-230 §8.5.2)', async (t) => {
  // nEntries = 81 ... : the continue bit promises an octet that is not there; it would be octet 13.
  expectPduError(t, hex(RETRIEVE_MIXED + '81'), 'TRUNCATED', 13, 'nEntries');
  // nEntries 1 at 12, HeadersLen 81 80 80 at 13-15, the end at 16.
  expectPduError(t, hex(RETRIEVE_MIXED + '01 81 80 80'), 'TRUNCATED', 16, 'HeadersLen');
  // nEntries 1 at 12, HeadersLen 1 at 13, DataLen 81 80 at 14-15, the end at 16.
  expectPduError(t, hex(RETRIEVE_MIXED + '01 01 81 80'), 'TRUNCATED', 16, 'DataLen');
});

t.test('lengths past the end', async (t) => {
  // Subject (0x16 -> 96) at 7, Value-length 10 at 8 with only 3 octets after it.
  expectPduError(t, hex(NOTIFYRESP + '96 0a ea 41 00'), 'LENGTH_OVERFLOW', 8, 'short Value-length');
  // Length-quote 1F then uintvar 2^32-1 (8F FF FF FF 7F).
  expectPduError(t, hex(NOTIFYRESP + '96 1f 8f ff ff ff 7f ea 41 00'), 'LENGTH_OVERFLOW', 8, 'Length-quote 2^32-1');
  // Expiry (0x08 -> 88) at 7, Value-length 30 at 8 with 2 octets.
  expectPduError(t, hex(NOTIFICATION + '88 1e 81 01'), 'LENGTH_OVERFLOW', 8, 'Expiry value-length 30');
  // Multipart entry at 13: HeadersLen 5 + DataLen 5 with 2 octets left.
  expectPduError(t, hex(RETRIEVE_MIXED + '01 05 05 83 78'), 'LENGTH_OVERFLOW', 13, 'multipart entry lengths');
});

t.test('Long-integer length byte bomb (WAP-230 §8.4.2.1)', async (t) => {
  // Message-Size (0x0E -> 8E) at 7; Short-length 30 at 8 with 2 octets.
  expectPduError(t, hex(NOTIFICATION + '8e 1e 01 02'), 'LENGTH_OVERFLOW', 8, 'Message-Size of 30 octets, 2 present');
  // 30 octets present, all 0xFF: far beyond 2^53.
  expectPduError(t, hex(NOTIFICATION + '8e 1e' + 'ff'.repeat(30)), 'INTEGER_TOO_LARGE', 8, 'Message-Size 2^240-1');
  // Date (0x05 -> 85) at 7 with a Length-quote where a Short-length must be.
  expectPduError(t, hex(NOTIFICATION + '85 1f 05 01 02 03 04 05'), 'BAD_VALUE', 8, 'Date with Length-quote');
  // Date with a zero-length Long-integer.
  expectPduError(t, hex(NOTIFICATION + '85 00'), 'BAD_VALUE', 8, 'Date of zero octets');
  // Date of 2^48 s (07 01 00 00 00 00 00 00): a safe integer, but ~8.9 million years, beyond what a Date holds
  // (8.64e15 ms); it must not come out as an Invalid Date that the encoder then refuses.
  const far = onlyPduError(() => decodePdu(hex(NOTIFICATION + '85 07 01 00 00 00 00 00 00 8a 80 8e 01 01 88 03 81 01 01 83 75 00')));
  t.ok(far.pdu, `Date 2^48 s: rejected with a PduError (${far.pdu?.code ?? String(far.other ?? 'decoded')})`);
  t.ok(far.pdu && ['BAD_VALUE', 'INTEGER_TOO_LARGE'].includes(far.pdu.code), 'Date 2^48 s: BAD_VALUE or INTEGER_TOO_LARGE');
  t.equal(far.pdu?.offset, 8, 'Date 2^48 s: offset of the Long-integer');
});

t.test('multipart declaring 10^6 entries', async (t) => {
  // 10^6 = 61*16384 + 4*128 + 64 -> uintvar BD 84 40, at 12; then one real 4-octet entry.
  const input = hex(RETRIEVE_MIXED + 'bd 84 40' + '01 01 83 78');
  let start = process.hrtime.bigint();
  expectPduError(t, input, 'TOO_MANY_PARTS', 12, 'default maxParts');
  let ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 200, `rejected in ${ms.toFixed(2)} ms`);
  // With the part limit out of the way, 10^6 entries cannot fit in 4 octets.
  start = process.hrtime.bigint();
  const code = ((): PduErrorCode | undefined => {
    try {
      decodePdu(input, { maxParts: 2_000_000 });
    } catch (e) {
      return e instanceof PduError ? e.code : undefined;
    }
    return undefined;
  })();
  ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(code === 'TOO_MANY_PARTS' || code === 'LENGTH_OVERFLOW', `maxParts raised: ${code}`);
  t.ok(ms < 200, `rejected in ${ms.toFixed(2)} ms`);
  // 2^32-1 entries with no limit at all: an allocation for the declared count would be a RangeError.
  start = process.hrtime.bigint();
  expectPduError(t, hex(RETRIEVE_MIXED + '8f ff ff ff 7f 01 01 83 78'), 'LENGTH_OVERFLOW', 12, '2^32-1 entries, unlimited', {
    maxParts: Number.MAX_SAFE_INTEGER,
  });
  ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 200, `rejected in ${ms.toFixed(2)} ms`);
});

/** A callable gc: global.gc when node runs with --expose-gc, else enabled at run time when V8 allows it. */
function findGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

t.test('10^6 real tiny entries in a ~3 MB body', async (t) => {
  const N = 1_000_000;
  // Each entry: HeadersLen 1, DataLen 0, Content-Type text/plain (0x83) -> 3 octets.
  const head = hex(RETRIEVE_MIXED + 'bd 84 40');
  const input = Buffer.alloc(head.length + 3 * N);
  head.copy(input, 0);
  for (let i = 0, p = head.length; i < N; i++, p += 3) {
    input[p] = 0x01;
    input[p + 1] = 0x00;
    input[p + 2] = 0x83;
  }
  t.equal(input.length, 3_000_015, '15 octets of headers and 3,000,000 of entries');

  let start = process.hrtime.bigint();
  expectPduError(t, input, 'TOO_MANY_PARTS', 12, 'default maxParts (1000)');
  let ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 500, `rejected before walking the entries: ${ms.toFixed(1)} ms`);

  const gc = findGc();
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  start = process.hrtime.bigint();
  const pdu = decodePdu(input, { maxParts: N });
  ms = Number(process.hrtime.bigint() - start) / 1e6;
  gc?.();
  gc?.();
  const after = process.memoryUsage();

  t.equal(pdu.parts?.length, N, 'all 10^6 entries decoded');
  t.strictSame(pdu.parts?.[0], { contentType: { mediaType: 'text/plain' }, data: Buffer.alloc(0) }, 'first entry');
  t.strictSame(pdu.parts?.[N - 1], { contentType: { mediaType: 'text/plain' }, data: Buffer.alloc(0) }, 'last entry');
  t.equal(pdu.body, undefined, 'no trailing octets');
  t.ok(ms < 15_000, `decoded in ${ms.toFixed(0)} ms`);
  if (gc) {
    const heap = after.heapUsed - before.heapUsed;
    const external = after.arrayBuffers - before.arrayBuffers;
    t.comment(
      `heap growth ${(heap / 1e6).toFixed(1)} MB = ${(heap / input.length).toFixed(1)}x the input, ${(heap / N).toFixed(0)} B/entry`,
    );
    t.comment(`arrayBuffers growth ${(external / 1e6).toFixed(2)} MB`);
    // One JS object per entry cannot cost less than tens of octets while an entry is 3 octets, so "a small
    // multiple" is taken as at most 100x the input (300 B per 3-octet entry): it catches per-entry copies,
    // per-entry closures/arrays, or allocation proportional to declared rather than real sizes.
    t.ok(heap < 100 * input.length, `heap growth below 100x the input (${(heap / input.length).toFixed(1)}x)`);
    // Entry data are views of the input: no octet of media may be copied.
    t.ok(external < input.length / 4, 'entry data not copied (arrayBuffers grew by less than a quarter of the input)');
  } else {
    t.comment('gc not available: heap growth not measured');
  }
});

/**
 * A multipart nested `depth` levels below the body's own multipart: level k's single entry is a
 * multipart.mixed whose data is the level k+1 multipart; the innermost holds one text/plain "x" entry.
 * Returns the PDU and the offset of the entry at each level (0 = the body's entry).
 */
function nested(depth: number): { input: Buffer; entryAt: number[] } {
  let inner = [0x01, 0x01, 0x01, 0x83, 0x78]; // nEntries 1, HeadersLen 1, DataLen 1, text/plain, "x"
  const lenOctets: number[] = [];
  for (let d = 0; d < depth; d++) {
    const dl = uintvar(inner.length);
    lenOctets.unshift(dl.length);
    inner = [0x01, 0x01, ...dl, 0xa3, ...inner]; // nEntries 1, HeadersLen 1, DataLen, multipart.mixed, data
  }
  const head = hex(RETRIEVE_MIXED);
  const entryAt: number[] = [];
  let p = head.length + 1; // after the body's nEntries
  for (let d = 0; d <= depth; d++) {
    entryAt.push(p);
    p += 1 + (lenOctets[d] ?? 1) + 1 + 1; // HeadersLen, DataLen, content type, the nested nEntries
  }
  return { input: Buffer.concat([head, Buffer.from(inner)]), entryAt };
}

t.test('nested multipart 1000 deep', async (t) => {
  const { input, entryAt } = nested(1000);
  // The limit counts levels of multipart; whether the body's own multipart is one of them is the decoder's
  // choice, so the failing entry is the one at level maxDepth-1 or maxDepth.
  const start = process.hrtime.bigint();
  expectPduError(t, input, 'TOO_DEEP', [entryAt[7]!, entryAt[8]!], 'default maxDepth (8)');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 200, `rejected in ${ms.toFixed(1)} ms`);
  expectPduError(t, input, 'TOO_DEEP', [entryAt[2]!, entryAt[3]!], 'maxDepth 3', { maxDepth: 3 });

  // With both limits raised, all 1000 levels decode: no stack exhaustion silently truncating the tree.
  const pdu = decodePdu(input, { maxDepth: 2000, maxParts: 2000 });
  let levels = 0;
  let parts = pdu.parts;
  while (parts?.[0]?.parts) {
    parts = parts[0].parts;
    levels++;
  }
  t.equal(levels, 1000, '1000 nested levels below the body');
  t.equal(parts?.[0]?.data.toString(), 'x', 'the innermost entry');
});

t.test('charset-form string with a bogus charset (WAP-230 §8.4.2.8)', async (t) => {
  // Subject at 7, Value-length at 8, Char-set at 9.
  // 0x20 is neither a Short-integer nor a Short-length: not a Well-known-charset.
  expectPduError(t, hex(NOTIFYRESP + '96 03 20 41 00'), 'BAD_VALUE', 9, 'charset octet 0x20');
  // Char-set as a Long-integer of zero octets.
  expectPduError(t, hex(NOTIFYRESP + '96 02 00 41'), 'BAD_VALUE', 9, 'zero-length charset');
  // Char-set Long-integer of 5 octets inside a 3-octet value.
  expectPduError(t, hex(NOTIFYRESP + '96 03 05 41 00'), 'LENGTH_OVERFLOW', 9, 'charset longer than its value');
  // Length-quote 1F 21 (33) at 8-9: a 30-octet charset of 0xFF at 10, then "A" NUL.
  expectPduError(t, hex(NOTIFYRESP + '96 1f 21 1e' + 'ff'.repeat(30) + '41 00'), 'INTEGER_TOO_LARGE', 10, 'charset 2^240-1');
});

t.test('missing mandatory header (OMA-TS-MMS_ENC §6)', async (t) => {
  // m-notification-ind with Message-Class Personal (8A 80), Message-Size 30720 (8E 02 78 00),
  // Expiry +86400 s (88 05 81 03 01 51 80), and no X-Mms-Content-Location: 20 octets, noticed at the end.
  const noLocation = hex(NOTIFICATION + '8a 80 8e 02 78 00 88 05 81 03 01 51 80');
  t.equal(noLocation.length, 20);
  expectPduError(t, noLocation, 'MISSING_HEADER', 20, 'm-notification-ind without Content-Location');
  const lenient = decodePdu(noLocation, { checkMandatory: false });
  t.equal(lenient.messageType, 'm-notification-ind', 'checkMandatory false: decodes');
  t.equal(lenient.contentLocation, undefined, 'checkMandatory false: no Content-Location');
  // m-notifyresp-ind with Status but no MMS-Version (8C 83 98 41 00 95 81: 7 octets).
  expectPduError(t, hex('8c 83 98 41 00 95 81'), 'MISSING_HEADER', 7, 'no MMS-Version');
  // m-retrieve-conf with a body but no Date: 8C 84 8D 93 84 83 78 (text/plain "x").
  expectPduError(t, hex('8c 84 8d 93 84 83 78'), 'MISSING_HEADER', 7, 'm-retrieve-conf without Date');
  // m-notifyresp-ind without X-Mms-Status.
  expectPduError(t, hex(NOTIFYRESP), 'MISSING_HEADER', 7, 'm-notifyresp-ind without Status');
});

t.test('1100 headers of one value octet', async (t) => {
  // Status Retrieved (95 81) at 7-8, then 300x Delivery-Report Yes (86 80) from 9.
  // Header count: Transaction-ID 1, MMS-Version 2, Status 3, Delivery-Report #k is header 3+k;
  // header 1025 (the first over the default 1024) is Delivery-Report #1022 at 9 + 1021*2 = 2051.
  const input = hex(NOTIFYRESP + '95 81' + '86 80'.repeat(1100));
  expectPduError(t, input, 'TOO_MANY_HEADERS', 2051, 'default maxHeaders (1024)');
  const pdu = decodePdu(input, { maxHeaders: 1200 });
  t.equal(pdu.deliveryReport, 'Yes', 'maxHeaders raised: the first Delivery-Report counts');
  t.equal(pdu.extraHeaders?.length, 1099, 'the 1099 repeats are kept');
  // The same with unassigned header codes (0x40 -> C0) carrying a Short-integer.
  expectPduError(t, hex(NOTIFYRESP + '95 81' + 'c0 80'.repeat(1100)), 'TOO_MANY_HEADERS', 2051, 'unassigned codes');
  // A limit of 3 fails on the fourth header (the Status at 7 is the third).
  expectPduError(t, input, 'TOO_MANY_HEADERS', 9, 'maxHeaders 3', { maxHeaders: 3 });
});

function listVectors(): { positive: string[]; negative: string[] } {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const sub of ['mmsd', 'mms-engine']) {
    const dir = path.join(vectorDir, sub);
    for (const f of fs.readdirSync(dir).sort()) {
      if (f.endsWith('.txt')) continue;
      (/garbage|UnparsableResp|\.html$/.test(f) ? negative : positive).push(path.join(dir, f));
    }
  }
  return { positive, negative };
}

t.test('public vectors', async (t) => {
  if (!fs.existsSync(vectorDir)) {
    t.fail(`vector directory missing: ${vectorDir}`);
    return;
  }
  const { positive, negative } = listVectors();
  // GarbagePush, GarbageRetrieve, UnparsableResp, NotAllowed .html, NotFound .html
  t.equal(negative.length, 5, 'five negative vectors');
  t.ok(positive.length > 50, `${positive.length} positive vectors`);

  const variants: DecodeOptions[] = [{}, { checkMandatory: false }, { parseBody: false }, { maxParts: 1, maxDepth: 1, maxHeaders: 1 }];
  for (const file of negative) {
    const name = path.relative(vectorDir, file);
    const b = fs.readFileSync(file);
    // None starts with 0x8C (they are text: "This is not a valid ..." and HTML).
    t.not(b[0], 0x8c, `${name}: does not start with 0x8C`);
    expectPduError(t, b, 'NOT_A_PDU', 0, name);
    let others = 0;
    let accepted = 0;
    for (const opts of variants) {
      for (let n = 0; n <= b.length; n++) {
        const r = onlyPduError(() => decodePdu(b.subarray(0, n), opts));
        if (r.other) others++;
        if (!r.other && !r.pdu) accepted++;
      }
    }
    t.equal(others, 0, `${name}: every prefix, every option set: nothing but PduError`);
    t.equal(accepted, 0, `${name}: no prefix decodes`);
  }

  // Every prefix of every small positive vector: decodes or throws PduError, never anything else.
  let prefixes = 0;
  const failures: string[] = [];
  for (const file of positive) {
    const b = fs.readFileSync(file);
    const limit = Math.min(b.length, 2048);
    for (let n = 0; n < limit; n++) {
      for (const opts of [{}, { checkMandatory: false }] as DecodeOptions[]) {
        prefixes++;
        const r = onlyPduError(() => decodePdu(b.subarray(0, n), opts));
        if (r.other && failures.length < 10) {
          failures.push(`${path.relative(vectorDir, file)} prefix ${n}: ${String(r.other)} input ${b.subarray(0, n).toString('hex')}`);
        }
      }
    }
  }
  t.strictSame(failures, [], `${prefixes} truncated positive vectors: nothing but PduError`);
});
