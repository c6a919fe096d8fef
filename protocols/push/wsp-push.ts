/**
 * The connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1, with the TID of §8.2.1 that connectionless mode puts
 * first, and WAP-251-PushMessage §6 for the push headers):
 *
 *   Push-PDU    = TID PDU-type HeadersLen ContentType Headers Data
 *   TID         = OCTET                       ; §8.2.1, connectionless only
 *   PDU-type    = <Octet 6>                   ; Push, Appendix A Table 34
 *   HeadersLen  = Uintvar-integer             ; octets of ContentType + Headers
 *   ContentType = Content-type-value          ; §8.4.2.24 (0xBE = application/vnd.wap.mms-message, 0x3E)
 *   Headers     = *Header                     ; §8.4.2.6
 *   Data        = *OCTET                      ; the rest of the PDU: here the m-notification-ind
 *
 *   Header             = Message-header | Shift-sequence
 *   Message-header     = Well-known-header | Application-header
 *   Well-known-header  = Well-known-field-name Wap-value   ; name = Short-integer
 *   Application-header = Token-text Application-specific-value   ; value = Text-string
 *   Shift-sequence     = (Shift-delimiter Page-identity) | Short-cut-shift-delimiter   ; 127 | 1-31
 *   X-Wap-Application-Id (0x2F) value: Application-id-value = Uri-value | App-assigned-code   ; §8.4.2.54
 *   App-assigned-code  = Integer-value   ; WINA registry, 0x04 = x-wap-application:mms.ua
 */
import { PduError } from '../wsp/errors.js';
import type { ContentType, ExtraHeader } from '../wsp/model.js';
import { Reader } from '../wsp/reader.js';
import { readContentType, writeContentType, writeExtraHeader } from '../wsp/values.js';
import { Writer } from '../wsp/writer.js';
import { PushError, type PushErrorCode } from './errors.js';
import { HEADER_X_WAP_APPLICATION_ID, WSP_PDU_TYPE } from './tables.js';

/** A connectionless WSP Push PDU. */
export interface WspPush {
  /** Transaction ID (WAP-230 §8.2.1), one octet. */
  tid: number;
  contentType: ContentType;
  /**
   * X-Wap-Application-Id: a WINA App-assigned-code (4 = x-wap-application:mms.ua) or a Uri-value. Written first
   * among the headers; absent = no such header (the handset then treats the push as for the browser).
   */
  applicationId?: number | string;
  /**
   * Other headers in wire order, carried without interpretation: a well-known code with its raw value octets
   * (zero-copy slices of the input when parsed), or an application header's name and text.
   */
  headers?: ExtraHeader[];
  /** The body (for an MMS push, the encoded m-notification-ind). */
  data: Buffer;
}

/** What the parser returns: the model plus the length field as received. */
export interface ParsedWspPush extends WspPush {
  /** HeadersLen as received: the octets of ContentType and Headers. */
  headersLength: number;
}

/** Build the octets of a connectionless Push PDU. Throws PushError ENCODE_INVALID for a model it cannot encode. */
export function buildWspPush(push: WspPush): Buffer {
  if (!Number.isInteger(push.tid) || push.tid < 0 || push.tid > 0xff)
    throw new PushError('ENCODE_INVALID', `TID ${push.tid} is not an octet`);
  if (!Buffer.isBuffer(push.data)) throw new PushError('ENCODE_INVALID', 'data must be a Buffer');
  try {
    const h = new Writer(64);
    writeContentType(h, push.contentType);
    if (push.applicationId !== undefined) {
      h.byte(0x80 | HEADER_X_WAP_APPLICATION_ID);
      if (typeof push.applicationId === 'number') h.integerValue(push.applicationId);
      else if (push.applicationId === '') throw new PushError('ENCODE_INVALID', 'empty X-Wap-Application-Id');
      else h.textString(push.applicationId);
    }
    for (const header of push.headers ?? []) {
      if ('code' in header && (!Number.isInteger(header.code) || header.code < 0 || header.code > 0x7f)) {
        throw new PushError('ENCODE_INVALID', `header code ${header.code} is not a Short-integer`);
      }
      if ('name' in header && (header.name === '' || header.name.charCodeAt(0) < 0x20 || header.name.charCodeAt(0) >= 0x7f)) {
        throw new PushError('ENCODE_INVALID', 'an application header name must start with a token character');
      }
      writeExtraHeader(h, header);
    }
    const headers = h.finish();
    const w = new Writer(headers.length + push.data.length + 8);
    w.byte(push.tid);
    w.byte(WSP_PDU_TYPE.PUSH);
    w.uintvar(headers.length);
    w.bytes(headers);
    w.bytes(push.data);
    return Buffer.from(w.finish());
  } catch (e) {
    throw asPushError(e);
  }
}

/**
 * Parse a connectionless Push PDU. Tolerant of what real PPGs send (Content-Type as text or in general form,
 * extra headers such as Kannel's Content-Length and Encoding-Version, an application id as URI); strict about
 * lengths. `data` is a zero-copy slice of `buf`. Throws PushError with the offset of the fault.
 */
export function parseWspPush(buf: Buffer): ParsedWspPush {
  try {
    return parse(buf);
  } catch (e) {
    throw asPushError(e);
  }
}

function parse(buf: Buffer): ParsedWspPush {
  const r = new Reader(buf);
  const tid = r.byte();
  const typeAt = r.pos;
  const type = r.byte();
  if (type !== WSP_PDU_TYPE.PUSH) throw new PushError('NOT_A_PUSH', `PDU type 0x${type.toString(16)} is not Push (0x06)`, typeAt);
  const lenAt = r.pos;
  const headersLength = r.uintvar();
  if (headersLength > r.remaining) {
    throw new PushError('LENGTH_OVERFLOW', `HeadersLen ${headersLength} exceeds the ${r.remaining} octets left`, lenAt);
  }
  if (headersLength === 0) throw new PushError('BAD_HEADER', 'no Content-Type: HeadersLen is 0', lenAt);
  const push: ParsedWspPush = { tid, headersLength, contentType: { mediaType: '' }, data: Buffer.alloc(0) };
  r.within(headersLength, () => {
    push.contentType = readContentType(r);
    const headers: ExtraHeader[] = [];
    while (r.pos < r.end) {
      const at = r.pos;
      const b = r.peek();
      if (b >= 0x80) {
        r.pos++;
        const code = b & 0x7f;
        if (code === HEADER_X_WAP_APPLICATION_ID && push.applicationId === undefined) {
          push.applicationId = readApplicationId(r);
        } else {
          headers.push({ code, value: r.skipValue() });
        }
      } else if (b >= 0x20 && b < 0x7f) {
        const name = r.textString();
        headers.push({ name, value: r.textString() });
      } else {
        throw new PushError('BAD_HEADER', `header octet 0x${b.toString(16)} starts a code page shift or nothing`, at);
      }
    }
    if (headers.length > 0) push.headers = headers;
  });
  push.data = buf.subarray(r.pos);
  return push;
}

/** Application-id-value = Uri-value | App-assigned-code   ; WAP-230-WSP §8.4.2.54 */
function readApplicationId(r: Reader): number | string {
  const b = r.peek();
  if (b >= 0x80 || b <= 30) return r.integerValue();
  return r.textString();
}

const FROM_PDU: Partial<Record<PduError['code'], PushErrorCode>> = {
  TRUNCATED: 'TRUNCATED',
  LENGTH_OVERFLOW: 'LENGTH_OVERFLOW',
  UINTVAR_TOO_LONG: 'UINTVAR_TOO_LONG',
  ENCODE_INVALID: 'ENCODE_INVALID',
  BAD_CHARSET: 'ENCODE_INVALID',
};

/** A PduError from the WSP primitives as a PushError (anything else unknown passes through unchanged). */
function asPushError(e: unknown): unknown {
  if (e instanceof PushError || !(e instanceof PduError)) return e;
  const code = FROM_PDU[e.code] ?? 'BAD_HEADER';
  const detail = e.message.replace(/^[A-Z_]+(?: at offset \d+)?: /, '');
  return new PushError(code, detail, e.offset, { cause: e });
}
