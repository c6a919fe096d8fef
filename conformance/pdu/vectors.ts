/**
 * Conformance of our decoder with the public PDU vectors: every positive vector is decoded and compared field
 * by field with Wireshark's decode beside it (`<file>.tshark.txt`) and with the values its originating test
 * suite asserts (`<file>.expected.txt`); every negative vector must be rejected with a PduError.
 *
 * A disagreement is either a decoder bug (FAIL) or an exception in EXCEPTIONS below, each with its reason.
 * An exception that no longer matches anything fails too, so the table cannot rot.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePdu, PduError, textOf, mediaTypeOf, type MmsPdu } from '../../protocols/mms/index.js';
import { compareWithTshark, formatDiff, parseTshark, conformanceDir, type Diff } from './tshark.js';

interface Exception {
  /** Vector path under vectors/pdu/. */
  vector: string;
  /** The diff's field: `tshark.<field>`, `expected.<key>`, or `tshark.malformed`. */
  field: string;
  reason: string;
}

const TRAILING_NUL =
  'tshark reads the NUL padding after the last header as the start of a textual header and runs off the end (we skip trailing NULs as padding)';
const EMPTY_MULTIPART =
  'mmsd writes a multipart Content-Type with no body at all; tshark fails reading the entry count (we keep an empty body)';
const RELATIVE_EXPIRY =
  "the PDU's Expiry is relative (tshark agrees); mmsd turns it into now + seconds when decoding, so its comment shows a time of the day the test was written";
const LAST_OCTET_0X84 =
  'tshark bug: the PDU ends with X-Mms-Status Unrecognised (0x84); packet-mmse.c keeps that value octet in the variable it then tests for Content-Type (0x84) and reads a Content-Type past the end (the same PDU with Retrieved, 0x81, decodes cleanly)';
const MMSD_PLUS = "mmsd's comment drops the leading '+' of the address the PDU carries (tshark shows it as we do)";

const EXCEPTIONS: Exception[] = [
  { vector: 'mms-engine/test_retrieve__Success2__m-notification.ind', field: 'tshark.malformed', reason: TRAILING_NUL },
  { vector: 'mmsd/mms_m_send_req_encode_1.mms', field: 'tshark.malformed', reason: EMPTY_MULTIPART },
  { vector: 'mms-engine/test_mms_codec__m-notifyresp.ind', field: 'tshark.malformed', reason: LAST_OCTET_0X84 },
  { vector: 'mmsd/mms_m_notify_ind_1.mms', field: 'expected.Expiry', reason: RELATIVE_EXPIRY },
  { vector: 'mmsd/mms_m_notify_ind_2.mms', field: 'expected.Expiry', reason: RELATIVE_EXPIRY },
  { vector: 'mmsd/ni-mms-1-3-con-271.mms', field: 'expected.Expiry', reason: RELATIVE_EXPIRY },
  { vector: 'mmsd/ni-mms-1-3-con-272.mms', field: 'expected.Expiry', reason: RELATIVE_EXPIRY },
  { vector: 'mmsd/mms_m_retrieve_conf_1.mms', field: 'expected.From', reason: MMSD_PLUS },
  { vector: 'mmsd/mms_m_retrieve_conf_2.mms', field: 'expected.From', reason: MMSD_PLUS },
  { vector: 'mmsd/mms_m_retrieve_conf_2.mms', field: 'expected.To', reason: MMSD_PLUS },
  { vector: 'mmsd/mms_m_retrieve_conf_3.mms', field: 'expected.From', reason: MMSD_PLUS },
  { vector: 'mmsd/mms_m_retrieve_conf_3.mms', field: 'expected.To', reason: MMSD_PLUS },
  {
    vector: 'mmsd/ni-mms-1-3-con-271.mms',
    field: 'expected.Location',
    reason: "the PDU's Content-Location starts with a space (0x20); mmsd's comment leaves it out (tshark shows it as we do)",
  },
  {
    vector: 'mmsd/rc-mms-1-3-con-216.mms',
    field: 'expected.Overall message size',
    reason: "typo in mmsd's comment: 114440 for an 11444-byte file",
  },
];

/** Files that are not PDUs on purpose (INDEX.md "NOT A PDU"). */
const isNegative = (name: string): boolean => /garbage|UnparsableResp|\.html$/i.test(name);

function vectors(root: string): string[] {
  const out: string[] = [];
  for (const dir of ['mmsd', 'mms-engine']) {
    for (const f of readdirSync(join(root, dir)).sort()) if (!f.endsWith('.txt')) out.push(`${dir}/${f}`);
  }
  return out;
}

/** mmsd names its comment files both `x.mms.expected.txt` and `x.expected.txt`. */
function expectedFile(path: string): string | undefined {
  return [`${path}.expected.txt`, `${path.replace(/\.mms$/, '')}.expected.txt`].find((p) => existsSync(p));
}

// ---------------------------------------------------------------------------------------------------------
// `.expected.txt`: mmsd's test comments (` * Name: value`, attachments as tab-indented blocks) or the C struct
// its encoder tests start from (`.field = value,`).
// ---------------------------------------------------------------------------------------------------------

interface Expected {
  fields: Array<[string, string]>;
  attachments: Array<Record<string, string>>;
}

function parseExpected(text: string): Expected {
  const exp: Expected = { fields: [], attachments: [] };
  if (text.includes('.msg = {')) {
    for (const line of text.split('\n')) {
      const m = /^\s*\.(\w+) = ([^{].*?),?\s*$/.exec(line);
      if (m) exp.fields.push([m[1]!, m[2]!.replace(/^"(.*)"$/, '$1')]);
    }
    return exp;
  }
  // The prose before the first value ("Overall message size") may hold colons of its own.
  let started = false;
  for (const line of text.split('\n')) {
    if (!/^\s*\*(?!\/)/.test(line)) continue;
    const body = line.replace(/^\s*\* ?/, '');
    started ||= body.startsWith('Overall message size');
    if (!started || body.trim() === '') continue;
    const attr = /^\t([^:]+): (.*)$/.exec(body);
    const field = /^([A-Za-z][\w -]*):(?: (.*))?$/.exec(body);
    if (attr) exp.attachments[exp.attachments.length - 1]![attr[1]!] = attr[2]!;
    else if (field && field[1] === 'Attachment') exp.attachments.push({});
    else if (field) exp.fields.push([field[1]!, field[2] ?? '']);
    else if (exp.fields.length > 0) exp.fields[exp.fields.length - 1]![1] += body.trim(); // a value wrapped in the comment
  }
  return exp;
}

/**
 * mmsd prints times as local time with the offset after the seconds, sometimes without its sign
 * (`2011-05-19T10:56:340200`) and once cut short (`+020`): the digits after the seconds are hours then minutes.
 */
function mmsdTime(s: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-]?)(\d\d)(\d{0,2})$/.exec(s);
  if (!m) return `unparsable time ${s}`;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]!.padEnd(2, '0')));
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - offset * 60_000).toISOString();
}

const NULL = '(null)';
const text = (v: Parameters<typeof textOf>[0] | undefined): string => (v === undefined ? NULL : textOf(v));
const time = (t: Date | number | undefined): string =>
  t === undefined ? NULL : typeof t === 'number' ? `relative ${t}s` : t.toISOString();
const lower = (v: unknown): string => (v === undefined ? NULL : String(v).toLowerCase());
const CT: Record<string, string> = {
  CT_MULTIPART_MIXED: 'application/vnd.wap.multipart.mixed',
  CT_MULTIPART_RELATED: 'application/vnd.wap.multipart.related',
};

/** Per key: [ours, theirs] in comparable form. */
type Rule = (pdu: MmsPdu, buf: Buffer, value: string) => [string, string];
const RULES: Record<string, Rule> = {
  // mmsd comments
  'Overall message size': (_, buf, v) => [String(buf.length), v],
  'MMS message type': (p, _, v) => [p.messageType, `m-${v}`],
  'MMS transaction id': (p, _, v) => [p.transactionId ?? NULL, v],
  'MMS version': (p, _, v) => [p.mmsVersion, v],
  From: (p, _, v) => [p.from && typeof p.from === 'object' && 'insertAddress' in p.from ? '<insert>' : text(p.from), v],
  To: (p, _, v) => [p.to ? p.to.map(textOf).join(',') : NULL, v],
  Subject: (p, _, v) => [text(p.subject), v],
  Class: (p, _, v) => [lower(p.messageClass), v.toLowerCase()],
  Size: (p, _, v) => [p.messageSize?.toString() ?? NULL, v],
  Expiry: (p, _, v) => [time(p.expiry), v === NULL ? v : mmsdTime(v)],
  Location: (p, _, v) => [typeof p.contentLocation === 'string' ? p.contentLocation : NULL, v],
  Priority: (p, _, v) => [lower(p.priority), v.toLowerCase()],
  'Msg-Id': (p, _, v) => [p.messageId ?? NULL, v],
  Date: (p, _, v) => [time(p.date), v === NULL ? v : mmsdTime(v)],
  'Response-Status': (p, _, v) => [lower(p.responseStatus), v.toLowerCase()],
  // mmsd encoder test structs
  type: (p, _, v) => [
    p.messageType,
    v
      .replace(/^MMS_MESSAGE_TYPE_/, 'm-')
      .toLowerCase()
      .replace(/_/g, '-'),
  ],
  transaction_id: (p, _, v) => [p.transactionId ?? NULL, v],
  version: (p, _, v) => [p.mmsVersion, v.replace(/^MMS_MESSAGE_VERSION_/, '').replace('_', '.')],
  notify_status: (p, _, v) => [lower(p.status), v.replace(/^MMS_MESSAGE_NOTIFY_STATUS_/, '').toLowerCase()],
  to: (p, _, v) => [p.to ? p.to.map(textOf).join(',') : NULL, v],
  dr: (p, _, v) => [p.deliveryReport === undefined ? NULL : String(p.deliveryReport), v === 'TRUE' ? 'Yes' : 'No'],
  content_type: (p, _, v) => [p.contentType ? mediaTypeOf(p.contentType) : NULL, CT[v] ?? v],
  attachments: (p, _, v) => [String(p.parts?.length ?? 0), v === 'NULL' ? '0' : v],
};

/** Struct members that describe mmsd's own storage, not the PDU. */
const NOT_IN_PDU: Record<string, string> = {
  uuid: 'mmsd store id',
  path: 'mmsd store path',
  status: 'mmsd draft/sent state',
};

function compareWithExpected(pdu: MmsPdu, buf: Buffer, exp: Expected): Diff[] {
  const diffs: Diff[] = [];
  const check = (field: string, ours: string, theirs: string): void => {
    if (ours !== theirs) diffs.push({ field: `expected.${field}`, ours, theirs });
  };
  for (const [key, value] of exp.fields) {
    if (key in NOT_IN_PDU) continue;
    const rule = RULES[key];
    if (rule) check(key, ...rule(pdu, buf, value));
    else check(key, 'a key this checker does not know', value);
  }
  if (exp.attachments.length === 0) return diffs;
  const parts = pdu.parts ?? [];
  check('Attachment.count', String(parts.length), String(exp.attachments.length));
  exp.attachments.forEach((a, i) => {
    const p = parts[i];
    if (!p) return;
    const sameBuffer = p.data.buffer === buf.buffer;
    check(`Attachment[${i}].Offset`, sameBuffer ? String(p.data.byteOffset - buf.byteOffset) : 'copied', a.Offset ?? NULL);
    check(`Attachment[${i}].Length`, String(p.data.length), a.Length ?? NULL);
    const [media, ...params] = (a['Content-type'] ?? NULL).split(';');
    check(`Attachment[${i}].Content-type`, mediaTypeOf(p.contentType).toLowerCase(), media!.trim().toLowerCase());
    for (const kv of params) {
      const [k, v] = kv.split('=');
      check(`Attachment[${i}].${k!.trim()}`, lower(p.contentType.params?.[k!.trim().toLowerCase()]), lower(v?.trim()));
    }
    check(`Attachment[${i}].Content-id`, p.contentId ?? NULL, a['Content-id'] ?? NULL);
  });
  return diffs;
}

// ---------------------------------------------------------------------------------------------------------

interface Verdict {
  status: 'ok' | 'FAIL' | 'known:';
  detail?: string;
}

function checkNegative(path: string): Verdict {
  try {
    decodePdu(readFileSync(path));
    return { status: 'FAIL', detail: 'negative input accepted' };
  } catch (e) {
    if (e instanceof PduError) return { status: 'ok', detail: `rejected: ${e.code} at offset ${e.offset}` };
    return { status: 'FAIL', detail: `threw ${String(e)} instead of a PduError` };
  }
}

function checkPositive(name: string, path: string): Verdict {
  const buf = readFileSync(path);
  let pdu: MmsPdu;
  try {
    pdu = decodePdu(buf);
  } catch (e) {
    return { status: 'FAIL', detail: `decode threw ${String(e)}` };
  }
  const diffs: Diff[] = [];
  const oracle = `${path}.tshark.txt`;
  if (existsSync(oracle)) diffs.push(...compareWithTshark(pdu, parseTshark(readFileSync(oracle, 'utf8'))));
  else diffs.push({ field: 'tshark.file', ours: 'a positive vector', theirs: 'no .tshark.txt beside it' });
  const exp = expectedFile(path);
  if (exp) diffs.push(...compareWithExpected(pdu, buf, parseExpected(readFileSync(exp, 'utf8'))));

  const mine = EXCEPTIONS.filter((x) => x.vector === name);
  const unexplained = diffs.filter((d) => !mine.some((x) => x.field === d.field));
  const stale = mine.filter((x) => !diffs.some((d) => d.field === x.field));
  const problems = [...unexplained.map((d) => formatDiff(d)), ...stale.map((x) => `${x.field}: listed in EXCEPTIONS but agrees now`)];
  if (problems.length > 0) return { status: 'FAIL', detail: problems.join('; ') };
  const reasons = [...new Set(mine.map((x) => x.reason))];
  return reasons.length > 0 ? { status: 'known:', detail: reasons.join('; ') } : { status: 'ok' };
}

function main(): number {
  const root = join(conformanceDir(), 'vectors', 'pdu');
  if (!existsSync(root)) {
    console.log(`FAIL ${root} not found (the vendored vectors are missing from the checkout)`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  let passed = 0;
  let failed = 0;
  for (const name of vectors(root)) {
    const path = join(root, name);
    const v = isNegative(name) ? checkNegative(path) : checkPositive(name, path);
    console.log(`${v.status} ${name}${v.detail ? ` (${v.detail})` : ''}`);
    if (v.status === 'FAIL') failed++;
    else passed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
