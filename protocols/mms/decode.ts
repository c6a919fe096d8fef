import { isMultipart } from '../wsp/content-types.js';
import { PduError } from '../wsp/errors.js';
import type { ContentType, ExtraHeader } from '../wsp/model.js';
import { DEFAULT_MULTIPART_LIMITS, readMultipart } from '../wsp/multipart.js';
import { Reader } from '../wsp/reader.js';
import { mediaTypeOf } from '../wsp/values.js';
import { CODE_CONTENT_TYPE, CODE_MESSAGE_TYPE, CODE_MMS_VERSION, FIELD_BY_KEY, FIELDS, fieldFor } from './fields.js';
import { MANDATORY, type MmsHeaders, type MmsPdu } from './model.js';
import { MESSAGE_TYPES, type MessageType } from './tables.js';

export interface DecodeOptions {
  /** Most multipart entries in the message, nested ones included (default 1000). */
  maxParts?: number;
  /** Most levels of nested multipart (default 8). */
  maxDepth?: number;
  /**
   * Most header fields (default 1024: every To/Cc/Bcc recipient is one field, and group messages are
   * legitimate); a PDU of one-octet headers must not cost a million objects.
   */
  maxHeaders?: number;
  /** Check the fields §6 makes mandatory for the message type (default true). */
  checkMandatory?: boolean;
  /** Decode a multipart body into parts (default true); false leaves it as `body`. */
  parseBody?: boolean;
}

const TYPE_BY_OCTET: (MessageType | undefined)[] = [];
for (const [o, t] of MESSAGE_TYPES) TYPE_BY_OCTET[o] = t;

/**
 * The mandatory fields of each type as one bit a field code (codes 0x01-0x3F: two 32-bit words), so that the
 * check after the loop is two integer comparisons instead of a keyed property read a field.
 */
interface Needed {
  lo: number;
  hi: number;
}
const SET: ((o: object, v: unknown) => void)[] = [];
// A setter a field with the key written out: a named store the engine keeps monomorphic per field, where
// `pdu[key] = v` with a varying key is one megamorphic keyed store for all fields (keys are FIELDS identifiers).
for (const f of FIELDS) SET[f.code] = new Function('o', 'v', `o.${f.key} = v;`) as (o: object, v: unknown) => void;
const NEEDED = new Map<MessageType, Needed>();
for (const [, t] of MESSAGE_TYPES) {
  const need: Needed = { lo: 0, hi: 0 };
  for (const key of MANDATORY[t]) {
    const code = FIELD_BY_KEY.get(key)!.code;
    if (code < 32) need.lo |= 1 << code;
    else need.hi |= 1 << (code - 32);
  }
  NEEDED.set(t, need);
}

/**
 * Decode one binary MMS PDU (OMA-TS-MMS_ENC-V1_3 §5-7). Throws PduError with a code and the byte offset
 * on malformed input. Media are zero-copy slices of `buf`: keep `buf` alive and unmodified while they are used.
 */
export function decodePdu(buf: Buffer, options: DecodeOptions = {}): MmsPdu {
  try {
    return decode(buf, options);
  } catch (e) {
    // Last guard for a caller already deep in its own stack: overflow is a nesting problem, not a crash.
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new PduError('TOO_DEEP', 'nesting exhausted the stack', 0);
    throw e;
  }
}

function decode(buf: Buffer, options: DecodeOptions): MmsPdu {
  const r = new Reader(buf);
  if (buf.length < 2 || buf[0] !== 0x80 + CODE_MESSAGE_TYPE) {
    r.fail('NOT_A_PDU', 'a PDU starts with X-Mms-Message-Type (0x8C)', 0);
  }
  r.pos = 1;
  const typeOctet = r.byte();
  const messageType: MessageType =
    TYPE_BY_OCTET[typeOctet] ?? r.fail('UNKNOWN_MESSAGE_TYPE', `message type 0x${typeOctet.toString(16)}`, 1);

  const maxHeaders = options.maxHeaders ?? 1024;
  const pdu: Record<string, unknown> = { messageType };
  let extra: ExtraHeader[] | undefined;
  let count = 0;
  // Fields seen so far, one bit a code: whether a field repeats is known without reading the object back.
  let seenLo = 0;
  let seenHi = 0;
  while (r.pos < r.end) {
    if (++count > maxHeaders) r.fail('TOO_MANY_HEADERS', `more than ${maxHeaders} header fields`);
    const at = r.pos;
    const b = buf[at]!;
    if (b >= 0x80) {
      r.pos++;
      const code = b & 0x7f;
      const spec = fieldFor(code, messageType);
      if (spec === undefined || code === CODE_MESSAGE_TYPE) {
        // An unassigned or repeated Message-Type code: keep the value octets as they came.
        (extra ??= []).push({ code, value: Buffer.from(r.skipValue()) });
        if (extra.length === 1) pdu.extraHeaders = extra;
        continue;
      }
      if (code === CODE_CONTENT_TYPE) {
        const ct = spec.codec.read(r) as ContentType;
        pdu.contentType = ct;
        seenLo |= 1 << CODE_CONTENT_TYPE;
        readBody(r, pdu, ct, options);
        break;
      }
      const value = spec.codec.read(r);
      const key = spec.key;
      const bit = code < 32 ? 1 << code : 1 << (code - 32);
      const seen = ((code < 32 ? seenLo : seenHi) & bit) !== 0;
      if (code < 32) seenLo |= bit;
      else seenHi |= bit;
      if (spec.repeat) {
        if (!seen) SET[code]!(pdu, [value]);
        else (pdu[key] as unknown[]).push(value);
      } else if (!seen) {
        SET[code]!(pdu, value);
      } else {
        // A single-valued field seen twice: the first one counts (as for most HTTP-style headers); the
        // repeat is kept raw so that nothing is lost on re-encoding.
        (extra ??= []).push({ code, value: Buffer.from(buf.subarray(at + 1, r.pos)) });
        if (extra.length === 1) pdu.extraHeaders = extra;
      }
    } else if (b === 0 && isPadding(buf, at)) {
      // Some MMSCs pad the PDU with NULs (seen in operator captures): nothing follows, nothing is lost.
      r.pos = r.end;
    } else if (b >= 32 && b !== 127) {
      // Application-header = Token-text Application-specific-value   ; WAP-230 8.4.2.6
      const name = r.textString();
      (extra ??= []).push({ name, value: r.textString() });
      if (extra.length === 1) pdu.extraHeaders = extra;
    } else {
      r.fail('BAD_HEADER', `0x${b.toString(16)} starts no header field`, at);
    }
  }

  if ((seenLo & (1 << CODE_MMS_VERSION)) === 0) r.fail('MISSING_HEADER', `${messageType} without X-Mms-MMS-Version`, r.pos);
  const need = NEEDED.get(messageType)!;
  if (options.checkMandatory !== false && ((seenLo & need.lo) !== need.lo || (seenHi & need.hi) !== need.hi)) {
    for (const key of MANDATORY[messageType]) {
      if (pdu[key] === undefined) r.fail('MISSING_HEADER', `${messageType} without mandatory ${key}`, r.pos);
    }
  }
  return pdu as unknown as MmsPdu;
}

function isPadding(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Everything after Content-Type is the body (§5.1.2): a WSP multipart when the type says so. */
function readBody(r: Reader, pdu: MmsHeaders, ct: ContentType, options: DecodeOptions): void {
  // A multipart type with no body at all (mmsd's encoder writes that for a message without attachments)
  // stays an empty body rather than failing on the missing entry count.
  if (options.parseBody !== false && r.pos < r.end && isMultipart(mediaTypeOf(ct))) {
    pdu.parts = readMultipart(r, {
      maxParts: options.maxParts ?? DEFAULT_MULTIPART_LIMITS.maxParts,
      maxDepth: options.maxDepth ?? DEFAULT_MULTIPART_LIMITS.maxDepth,
    });
    if (r.pos < r.end) pdu.body = r.bytes(r.end - r.pos); // trailing octets after the last entry, kept
  } else {
    pdu.body = r.bytes(r.end - r.pos);
  }
}

export { PduError };
