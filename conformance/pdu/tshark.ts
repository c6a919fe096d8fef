/**
 * Wireshark's MMSE dissector as an independent oracle: a parser of `tshark -V -O mmse` text (the format of the
 * `.tshark.txt` files beside the public vectors) into a flat record, a runner that makes that text for a PDU we
 * just encoded, and the comparison of one of our PDU models with such a record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MESSAGE_CLASS,
  PRIORITY,
  READ_STATUS,
  RESPONSE_STATUS,
  RETRIEVE_STATUS,
  STATUS,
  YES_NO,
  mediaTypeOf,
  type EncodedStringValue,
  type MmsPdu,
  type Part,
  type TimeValue,
} from '../../protocols/mms/index.js';
import { encodeText, mibOf } from '../../protocols/wsp/index.js';

/** An enumerated value as tshark shows it: `Personal (0x80)` has a code, a text Message-Class has none. */
export interface TsharkEnum {
  name: string;
  code?: number;
}

export type TsharkTime = { relative: number } | { absolute: Date };

export interface TsharkPart {
  /** 1-based index as tshark numbers it (restarts at 1 inside a nested multipart). */
  index: number;
  /** Nesting depth: 0 for entries of the top-level multipart. */
  level: number;
  mediaType: string;
  contentId?: string;
  contentLocation?: string;
  /** The `name` parameter of the entry's Content-Type. */
  name?: string;
}

export interface TsharkRecord {
  /** Message type name (`m-send-req`, or `Unknown` for an octet tshark does not know) and its octet. */
  messageType?: TsharkEnum;
  transactionId?: string;
  mmsVersion?: string;
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject?: string;
  messageClass?: TsharkEnum;
  messageSize?: number;
  expiry?: TsharkTime;
  contentLocation?: string;
  messageId?: string;
  date?: Date;
  status?: TsharkEnum;
  responseStatus?: TsharkEnum;
  responseText?: string;
  retrieveStatus?: TsharkEnum;
  retrieveText?: string;
  readStatus?: TsharkEnum;
  deliveryReport?: TsharkEnum;
  priority?: TsharkEnum;
  /** Media type of the top-level Content-Type, without parameters. */
  contentType?: string;
  /** Multipart entries in document order (nested ones flattened, pre-order). */
  parts: TsharkPart[];
  /** The protocol named in tshark's `[Malformed Packet: X]` mark, if there is one. */
  malformed?: string;
}

/**
 * conformance/ in the project checkout, which holds the vendored public vectors (vectors/, see SOURCES.md) and
 * the scripts that wrap a PDU for tshark (tools/): the checkout root is the nearest directory above this module
 * (conformance/pdu/ in the sources, dist/conformance/pdu/ once built) that holds package.json.
 */
export function conformanceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, 'conformance');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `May 31, 2011 08:42:30.000000000 UTC` (tshark prints absolute times in UTC when TZ is UTC). */
export function parseTsharkDate(s: string): Date | undefined {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.\d+)? UTC$/.exec(s.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  return new Date(Date.UTC(+m[3]!, month, +m[2]!, +m[4]!, +m[5]!, +m[6]!));
}

function parseEnum(s: string): TsharkEnum {
  const m = /^(.*) \(0x([0-9a-fA-F]+)\)$/.exec(s);
  return m ? { name: m[1]!, code: parseInt(m[2]!, 16) } : { name: s };
}

function parseTime(s: string): TsharkTime | undefined {
  const rel = /^(\d+)(?:\.\d+)? seconds?$/.exec(s);
  if (rel) return { relative: Number(rel[1]) };
  const abs = parseTsharkDate(s);
  return abs && { absolute: abs };
}

/**
 * tshark prints strings through format_text(): control characters become C escapes (`\n`, `\177`) while a
 * backslash stays as it is, so its text cannot be unescaped without guessing. The record keeps strings as shown;
 * comparisons escape our side the same way instead.
 */
export function escapeLikeTshark(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => named[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

const indent = (line: string): number => line.length - line.trimStart().length;

/** Split `Name: value` at the first `: ` (values such as `Permanent: Service denied (0xe1)` hold more). */
function nameValue(line: string): [string, string] | undefined {
  const t = line.trimStart(); // trailing blanks belong to the value ("Subject: Fwd: ")
  const i = t.indexOf(':');
  if (i <= 0) return undefined;
  return [t.slice(0, i), t.slice(i + 1).replace(/^ /, '')];
}

/** Parse the text of one MMSE decode (anything before `MMS Message Encapsulation` is ignored). */
export function parseTshark(text: string): TsharkRecord {
  const rec: TsharkRecord = { to: [], cc: [], bcc: [], parts: [] };
  const lines = text.split('\n');
  let i = lines.findIndex((l) => l.startsWith('MMS Message Encapsulation'));
  if (i < 0) return rec;
  // Within an entry, headers sit in two subtrees (`Content-Type: ...` with its parameters, and `Headers`);
  // the entry's data follows at the same depths, so only lines under those two subtrees are read.
  let part: TsharkPart | undefined;
  let partIndent = 0;
  let section = '';
  const partStack: number[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('# expert info')) break;
    const mal = /^\s*\[Malformed Packet: ([^\]]+)\]/.exec(line);
    if (mal) {
      rec.malformed ??= mal[1]!;
      continue;
    }
    const depth = indent(line);
    const partHead = /^\s*Part: (\d+), content-type: (.*)$/.exec(line);
    if (partHead) {
      while (partStack.length > 0 && partStack[partStack.length - 1]! >= depth) partStack.pop();
      part = { index: Number(partHead[1]), level: partStack.length, mediaType: partHead[2]!.trim() };
      partStack.push(depth);
      rec.parts.push(part);
      partIndent = depth;
      section = '';
      continue;
    }
    if (part && depth <= partIndent) part = undefined;
    const nv = nameValue(line);
    if (part) {
      if (depth === partIndent + 4) section = line.trim().startsWith('Content-Type:') ? 'type' : line.trim();
      else if (depth === partIndent + 8 && nv) {
        const [name, value] = nv;
        if (section === 'type' && name === 'Name') part.name ??= value;
        if (section === 'Headers' && name === 'Content-Id') part.contentId ??= value;
        if (section === 'Headers' && name === 'Content-Location') part.contentLocation ??= value;
      }
      continue;
    }
    if (depth !== 4 || !nv) continue;
    const [name, value] = nv;
    switch (name) {
      case 'X-Mms-Message-Type':
        rec.messageType = parseEnum(value);
        break;
      case 'X-Mms-Transaction-ID':
        rec.transactionId = value;
        break;
      case 'X-Mms-MMS-Version':
        rec.mmsVersion = value;
        break;
      case 'From':
        rec.from = value;
        break;
      case 'To':
        rec.to.push(value);
        break;
      case 'Cc':
        rec.cc.push(value);
        break;
      case 'Bcc':
        rec.bcc.push(value);
        break;
      case 'Subject':
        rec.subject = value;
        break;
      case 'X-Mms-Message-Class':
        rec.messageClass = parseEnum(value);
        break;
      case 'X-Mms-Message-Size':
        rec.messageSize = Number(value);
        break;
      case 'X-Mms-Expiry':
        rec.expiry = parseTime(value);
        break;
      case 'X-Mms-Content-Location':
        rec.contentLocation = value;
        break;
      case 'Message-Id':
        rec.messageId = value;
        break;
      case 'Date':
        rec.date = parseTsharkDate(value);
        break;
      case 'Status':
        rec.status = parseEnum(value);
        break;
      case 'Response-Status':
        rec.responseStatus = parseEnum(value);
        break;
      case 'Response-Text':
        rec.responseText = value;
        break;
      case 'X-Mms-Retrieve-Status':
        rec.retrieveStatus = parseEnum(value);
        break;
      case 'X-Mms-Retrieve-Text':
        rec.retrieveText = value;
        break;
      case 'X-Mms-Read-Status':
        rec.readStatus = parseEnum(value);
        break;
      case 'X-Mms-Delivery-Report':
        rec.deliveryReport = parseEnum(value);
        break;
      case 'X-Mms-Priority':
        rec.priority = parseEnum(value);
        break;
      case 'Content-Type':
        rec.contentType = value.split(';')[0]!.trim();
        break;
    }
  }
  return rec;
}

/** The flags the `.tshark.txt` oracles were made with (image dissectors off: only MMSE structure matters). */
export const TSHARK_ARGS = [
  '-Y',
  'mmse',
  '-V',
  '-O',
  'mmse',
  '--disable-protocol',
  'image-jfif',
  '--disable-protocol',
  'image-gif',
  '--disable-protocol',
  'png',
];

/** Whether tshark can be run here (CI machines may lack it). */
export function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decode `pdu` with tshark: wrap it in an HTTP POST capture with conformance/tools/mms2pcap.py (as the oracle files
 * were made), run tshark with the same flags, and parse its text. Returns the raw text too, for diagnostics.
 */
export function tsharkDecode(pdu: Buffer): { record: TsharkRecord; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmse-oracle-'));
  try {
    const mms = join(dir, 'pdu.mms');
    const pcap = join(dir, 'pdu.pcap');
    writeFileSync(mms, pdu);
    // Debian's python3 (not a pyenv shim) is what the tool was written for.
    execFileSync('/usr/bin/python3', [join(conformanceDir(), 'tools', 'mms2pcap.py'), '--mode', 'http', mms, pcap]);
    const text = execFileSync('tshark', ['-r', pcap, ...TSHARK_ARGS], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { record: parseTshark(text), text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Our decode as tshark would show it, and the comparison with a tshark record
// ---------------------------------------------------------------------------------------------------------

/** One disagreement: `field` is `tshark.<record key>` (or `expected.<key>` for the other oracle). */
export interface Diff {
  field: string;
  ours: string;
  theirs: string;
}

/** A diff for a report line, with invisible characters (BOM, controls) spelled out. */
export function formatDiff(d: Diff, theirName = 'theirs'): string {
  const show = (s: string): string =>
    JSON.stringify(s).replace(
      /[\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return `${d.field}: ours ${show(d.ours)}, ${theirName} ${show(d.theirs)}`;
}

/**
 * An Encoded-string-value as tshark 4.0 shows it. The Text-string form it prints as UTF-8, like us. The charset
 * form it reads as ASCII after a one-octet charset (packet-mmse.c get_encoded_strval: "Something with Char-set,
 * skip for now"), so each octet >= 0x80 becomes one U+FFFD and it stops at a NUL: we do the same to our bytes.
 * The Quote octet (0x7F) it leaves in front is dropped on both sides.
 */
export function shownByTshark(v: EncodedStringValue): string {
  if (typeof v === 'string') return v;
  const mib = mibOf(v.charset);
  let bytes: Buffer;
  try {
    bytes = v.raw ?? encodeText(v.text, mib === undefined || mib === 0 ? 106 : mib);
  } catch {
    return v.text;
  }
  if (bytes[0] === 0x7f) bytes = bytes.subarray(1);
  const nul = bytes.indexOf(0);
  if (nul >= 0) bytes = bytes.subarray(0, nul);
  return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : '\ufffd')).join('');
}

const dropQuote = (s: string): string => (s.startsWith('\\177') ? s.slice(4) : s);

/** Enumerations compare by octet (tshark's names differ from the spec tokens, e.g. "Permanent: Service denied"). */
const ENUM_TABLES = {
  messageClass: MESSAGE_CLASS,
  status: STATUS,
  responseStatus: RESPONSE_STATUS,
  retrieveStatus: RETRIEVE_STATUS,
  readStatus: READ_STATUS,
  deliveryReport: YES_NO,
  priority: PRIORITY,
} as const;
type EnumField = keyof typeof ENUM_TABLES;

function ourEnum(key: EnumField, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return `0x${v.toString(16)}`;
  const table: ReadonlyArray<readonly [number, string]> = ENUM_TABLES[key];
  const row = table.find(([, token]) => token === v);
  return row ? `0x${row[0].toString(16)}` : String(v); // a Token-text Message-Class
}

const theirEnum = (e: TsharkEnum | undefined): string | undefined => e && (e.code !== undefined ? `0x${e.code.toString(16)}` : e.name);

function timeKey(t: TimeValue | TsharkTime | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return `+${t}s`;
  if (t instanceof Date) return t.toISOString();
  return 'relative' in t ? `+${t.relative}s` : t.absolute.toISOString();
}

/** Parts in document order, nested entries after their parent (as tshark lists them). */
function flatParts(parts: Part[] | undefined, level = 0): Array<{ part: Part; level: number }> {
  return (parts ?? []).flatMap((part) => [{ part, level }, ...flatParts(part.parts, level + 1)]);
}

/** Every field the record carries, ours against tshark's; `undefined` means absent. */
export function compareWithTshark(pdu: MmsPdu, rec: TsharkRecord): Diff[] {
  const diffs: Diff[] = [];
  const check = (field: string, ours: string | undefined, theirs: string | undefined): void => {
    const shown = ours === undefined ? undefined : escapeLikeTshark(ours);
    if (shown !== theirs) diffs.push({ field: `tshark.${field}`, ours: shown ?? '(absent)', theirs: theirs ?? '(absent)' });
  };
  const esv = (v: EncodedStringValue | undefined): string | undefined => (v === undefined ? undefined : shownByTshark(v));
  const list = (vs: EncodedStringValue[] | undefined): string => JSON.stringify((vs ?? []).map((v) => escapeLikeTshark(shownByTshark(v))));
  const theirList = (vs: string[]): string => JSON.stringify(vs.map(dropQuote));
  const opt = (s: string | undefined): string | undefined => (s === undefined ? undefined : dropQuote(s));

  check('messageType', pdu.messageType, rec.messageType?.name);
  check('transactionId', pdu.transactionId, rec.transactionId);
  check('mmsVersion', pdu.mmsVersion, rec.mmsVersion);
  const from =
    pdu.from === undefined ? undefined : typeof pdu.from === 'object' && 'insertAddress' in pdu.from ? '<insert address>' : esv(pdu.from);
  check('from', from, opt(rec.from));
  check('to', list(pdu.to), theirList(rec.to));
  check('cc', list(pdu.cc), theirList(rec.cc));
  check('bcc', list(pdu.bcc), theirList(rec.bcc));
  check('subject', esv(pdu.subject), opt(rec.subject));
  check('responseText', esv(indexedValue(pdu.responseText)), opt(rec.responseText));
  check('retrieveText', esv(pdu.retrieveText), opt(rec.retrieveText));
  check('messageSize', pdu.messageSize?.toString(), rec.messageSize?.toString());
  check('expiry', timeKey(pdu.expiry), timeKey(rec.expiry));
  check('contentLocation', indexedValue(pdu.contentLocation), rec.contentLocation);
  check('messageId', pdu.messageId, rec.messageId);
  check('date', pdu.date?.toISOString(), rec.date?.toISOString());
  for (const key of Object.keys(ENUM_TABLES) as EnumField[]) {
    const ours = key === 'responseStatus' ? indexedValue(pdu.responseStatus) : pdu[key];
    check(key, ourEnum(key, ours), theirEnum(rec[key]));
  }
  check('contentType', pdu.contentType && mediaTypeOf(pdu.contentType).toLowerCase(), rec.contentType?.toLowerCase());

  const ours = flatParts(pdu.parts);
  check('parts.length', String(ours.length), String(rec.parts.length));
  rec.parts.forEach((t, i) => {
    const o = ours[i];
    if (!o) return;
    const p = o.part;
    const name = p.contentType.params?.name;
    check(`parts[${i}].level`, String(o.level), String(t.level));
    check(`parts[${i}].mediaType`, mediaTypeOf(p.contentType).toLowerCase(), t.mediaType.toLowerCase());
    // tshark shows a Quoted-string Content-ID with the quote it starts with and one it adds at the end.
    check(`parts[${i}].contentId`, p.contentId, t.contentId?.replace(/^"(.*)"$/, '$1'));
    check(`parts[${i}].contentLocation`, p.contentLocation, t.contentLocation);
    check(`parts[${i}].name`, name === undefined ? undefined : String(name), t.name);
  });
  if (rec.malformed) diffs.push({ field: 'tshark.malformed', ours: 'decoded', theirs: `[Malformed Packet: ${rec.malformed}]` });
  return diffs;
}

/** Content-Location, Response-Status and Response-Text carry an index in M-Mbox-Delete.conf / M-Delete.conf. */
function indexedValue<T>(v: T | { index: number; value: T } | undefined): T | undefined {
  return v !== null && typeof v === 'object' && 'index' in v && 'value' in v ? v.value : (v as T | undefined);
}
