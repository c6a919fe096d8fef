import { charsetFromMib, decodeText, encodeText, mibOf } from './charsets.js';
import { contentTypeCode, contentTypeName } from './content-types.js';
import { PduError } from './errors.js';
import type { CharsetText, ContentDisposition, ContentType, EncodedStringValue, ExtraHeader, ParamValue } from './model.js';
import { PARAM_BY_CODE, paramSpecFor, type ParamForm } from './params.js';
import { latin1 } from './latin1.js';
import { utf8Text } from './utf8.js';
import { versionName, versionValue } from './version.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

// ---------------------------------------------------------------------------------------------------------
// Encoded-string-value = Text-string | Value-length Char-set Text-string   ; WAP-230 8.4.2.1, MMS_ENC 7.2.9
// ---------------------------------------------------------------------------------------------------------

/** Well-known-charset = Any-charset | Integer-value ; Any-charset = <Octet 128>   ; WAP-230 8.4.2.8 */
export function readCharsetMib(r: Reader): number {
  if (r.peek() === 0x80) {
    r.pos++;
    return 0;
  }
  return r.integerValue();
}

function isWide(mib: number): boolean {
  return mib === 1000 || mib === 1013 || mib === 1014 || mib === 1015;
}

export function readEncodedString(r: Reader): EncodedStringValue {
  // A lone NUL is an empty Text-string, not a zero Value-length (which could hold no charset).
  if (!r.atValueLength() || r.buf[r.pos] === 0) return r.textString();
  const len = r.valueLength();
  const start = r.pos;
  const outer = r.enter(len);
  const mib = readCharsetMib(r);
  const buf = r.buf;
  const bodyAt = r.pos;
  const stop = r.end;
  let out: CharsetText;
  if (!isWide(mib)) {
    const quoted = bodyAt < stop && buf[bodyAt] === 0x7f;
    const ts = quoted ? bodyAt + 1 : bodyAt;
    let te = ts;
    let high = 0;
    while (te < stop && buf[te] !== 0) high |= buf[te++]!;
    // 8-bit text tagged UTF-8, without a byte-order mark (RFC 3629 §6): its text if it is well-formed.
    const utf8 =
      mib === 106 && high >= 0x80 && !(te - ts >= 3 && buf[ts] === 0xef && buf[ts + 1] === 0xbb && buf[ts + 2] === 0xbf)
        ? utf8Text(buf, ts, te)
        : undefined;
    if (high < 0x80 && (mib === 106 || mib === 3 || mib === 4)) {
      // ASCII in UTF-8, US-ASCII or ISO-8859-1 (most subjects and every charset-tagged address): the text is
      // the octets; it re-encodes to the same bytes exactly when the framing is the encoder's own (the
      // shortest charset, no Quote before ASCII, one NUL at the end), which is checked here rather than by
      // re-encoding.
      out = { charset: charsetFromMib(mib), text: latin1(buf, ts, te) };
      const canonical = !quoted && te + 1 === stop && bodyAt - start === 1;
      if (!canonical) out.raw = Buffer.from(buf.subarray(bodyAt, stop));
    } else if (utf8 !== undefined) {
      // Valid UTF-8 without a byte-order mark decodes without loss and re-encodes to the same octets; the
      // framing is the encoder's when there is a Quote exactly before a first octet >= 0x80.
      out = { charset: 'utf-8', text: utf8 };
      const canonical = quoted === buf[ts]! >= 0x80 && te > ts && te + 1 === stop && bodyAt - start === 1;
      if (!canonical) out.raw = Buffer.from(buf.subarray(bodyAt, stop));
    } else {
      const decoded = decodeText(buf.subarray(ts, te), mib);
      out = { charset: mib === 0 ? '*' : charsetFromMib(mib), text: decoded.text };
      if (!decoded.exact || !reencodes(out, buf.subarray(start, start + len))) out.raw = Buffer.from(buf.subarray(bodyAt, stop));
    }
  } else {
    // UCS-2/UTF-16 text contains zero octets; the Value-length bounds it, and the terminator may be
    // one or two NULs.
    let text = buf.subarray(bodyAt, stop);
    if (text.length % 2 === 1 && text[text.length - 1] === 0) text = text.subarray(0, text.length - 1);
    else if (text.length >= 2 && text[text.length - 1] === 0 && text[text.length - 2] === 0) text = text.subarray(0, text.length - 2);
    const decoded = decodeText(text, mib);
    out = { charset: charsetFromMib(mib), text: decoded.text };
    if (!decoded.exact || !reencodes(out, buf.subarray(start, start + len))) out.raw = Buffer.from(buf.subarray(bodyAt, stop));
  }
  r.leave(outer);
  return out;
}

const scratch = { w: new Writer(256) };
function reencodes(v: CharsetText, original: Buffer): boolean {
  const w = scratch.w;
  w.pos = 0;
  try {
    writeCharsetBody(w, v);
  } catch {
    return false;
  }
  return w.pos === original.length && w.buf.subarray(0, w.pos).equals(original);
}

function writeCharsetBody(w: Writer, v: CharsetText): void {
  const mib = mibOf(v.charset);
  if (mib === undefined) throw new PduError('BAD_CHARSET', `unknown charset ${String(v.charset)}`, -1);
  if (mib === 0) w.byte(0x80);
  else w.integerValue(mib);
  if (v.raw) {
    w.bytes(v.raw);
    return;
  }
  // ASCII text in UTF-8, US-ASCII or ISO-8859-1 (every charset-tagged address, most subjects) is its own
  // octets: written here, without the encoder's intermediate Buffer (what encodeText + rawString would write).
  if ((mib === 106 || mib === 3 || mib === 4) && writeAscii(w, v.text)) return;
  let bytes: Buffer;
  try {
    bytes = encodeText(v.text, mib === 0 ? 106 : mib);
  } catch {
    throw new PduError('BAD_CHARSET', `cannot encode text in ${String(v.charset)}; supply raw bytes`, -1);
  }
  if (!isWide(mib) && bytes.length > 0 && bytes[0]! >= 0x80) w.byte(0x7f);
  w.rawString(bytes);
}

/** Write `text` and a NUL if it is all ASCII without NUL; false (nothing written) otherwise. */
function writeAscii(w: Writer, text: string): boolean {
  const n = text.length;
  w.ensure(n + 1);
  const buf = w.buf;
  const at = w.pos;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c >= 0x80) return false;
    buf[at + i] = c;
  }
  buf[at + n] = 0;
  w.pos = at + n + 1;
  return true;
}

export function writeEncodedString(w: Writer, v: EncodedStringValue): void {
  if (typeof v === 'string') {
    w.textString(v);
    return;
  }
  const lenAt = w.openLength();
  writeCharsetBody(w, v);
  w.closeLength(lenAt);
}

/** The text of an Encoded-string-value, whatever its form. */
export function textOf(v: EncodedStringValue): string {
  return typeof v === 'string' ? v : v.text;
}

// ---------------------------------------------------------------------------------------------------------
// Content-type-value   ; WAP-230 8.4.2.24
//   Content-type-value = Constrained-media | Content-general-form
//   Constrained-media  = Constrained-encoding = Extension-Media | Short-integer
//   Content-general-form = Value-length Media-type
//   Media-type = (Well-known-media | Extension-Media) *(Parameter)
// ---------------------------------------------------------------------------------------------------------

function mediaName(code: number): string | number {
  return contentTypeName(code) ?? code;
}

/** Constrained-encoding = Extension-Media | Short-integer   ; WAP-230 8.4.2.1 */
function readConstrained(r: Reader): string | number {
  const b = r.peek();
  if (b >= 0x80) {
    r.pos++;
    return mediaName(b & 0x7f);
  }
  return r.textString();
}

export function readContentType(r: Reader): ContentType {
  const b = r.peek();
  if (b > 31) return { mediaType: readConstrained(r) };
  const outer = r.enter(r.valueLength());
  const first = r.peek();
  const mediaType = first >= 0x80 || first <= 30 ? mediaName(r.integerValue()) : r.textString();
  const ct: ContentType = { mediaType };
  if (r.pos < r.end) ct.params = readParams(r);
  else if (typeof mediaType === 'string' ? (contentTypeCode(mediaType) ?? 0) < 128 : mediaType < 128) ct.generalForm = true;
  r.leave(outer);
  return ct;
}

export function writeContentType(w: Writer, ct: ContentType): void {
  if (ct.mediaType === '') throw new PduError('ENCODE_INVALID', 'empty media type', -1);
  const code = typeof ct.mediaType === 'number' ? ct.mediaType : contentTypeCode(ct.mediaType);
  const hasParams = ct.params !== undefined && hasKeys(ct.params);
  if (!hasParams && !ct.generalForm && (code === undefined || code < 128)) {
    if (code !== undefined) w.shortInteger(code);
    else w.textString(ct.mediaType as string);
    return;
  }
  const lenAt = w.openLength();
  if (code !== undefined) w.integerValue(code);
  else w.textString(ct.mediaType as string);
  if (ct.params) writeParams(w, ct.params);
  w.closeLength(lenAt);
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** The media type of a ContentType as a string (unassigned numbers as `application/x-wsp-0xNN`). */
export function mediaTypeOf(ct: ContentType): string {
  return typeof ct.mediaType === 'string' ? ct.mediaType : `application/x-wsp-0x${ct.mediaType.toString(16)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Parameter = Typed-parameter | Untyped-parameter   ; WAP-230 8.4.2.4
//   Typed-parameter = Well-known-parameter-token Typed-value ; token = Integer-value
//   Untyped-parameter = Token-text Untyped-value ; Untyped-value = Integer-value | Text-value
//   Text-value = No-value | Token-text | Quoted-string
// ---------------------------------------------------------------------------------------------------------

type ParamSetter = (o: Record<string, ParamValue>, v: ParamValue) => void;
/**
 * A setter a well-known parameter with its name written out (generated from the table's constant names): a
 * named store the engine keeps monomorphic, where `params[spec.name] = v` is one megamorphic keyed store.
 */
const PARAM_SETTERS: (ParamSetter | undefined)[] = PARAM_BY_CODE.map((spec) =>
  spec ? (new Function('o', 'v', `o[${JSON.stringify(spec.name)}] = v;`) as ParamSetter) : undefined,
);

/** Read parameters up to r.end. */
export function readParams(r: Reader): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  while (r.pos < r.end) {
    const b = r.peek();
    if (b >= 0x80 || b <= 30) {
      const at = r.pos;
      const code = r.integerValue();
      const spec = PARAM_BY_CODE[code];
      if (!spec) r.fail('BAD_VALUE', `unknown well-known parameter 0x${code.toString(16)}`, at);
      PARAM_SETTERS[code]!(params, readTyped(r, spec.form));
    } else {
      const name = r.textString();
      params[name] = readUntyped(r);
    }
  }
  return params;
}

function readUntyped(r: Reader): ParamValue {
  const b = r.peek();
  if (b >= 0x80 || (b >= 1 && b <= 30)) return r.integerValue();
  return readTextValue(r);
}

function readTextValue(r: Reader): ParamValue {
  const b = r.peek();
  if (b === 0) {
    r.pos++;
    return '';
  }
  if (b === 0x22) return r.quotedString();
  return r.textString();
}

function readTyped(r: Reader, form: ParamForm): ParamValue {
  switch (form) {
    case 'charset': {
      const mib = readCharsetMib(r);
      return mib === 0 ? '*' : charsetFromMib(mib);
    }
    case 'integer':
    case 'delta':
      return r.integerValue();
    case 'q':
      return r.uintvar();
    case 'short':
      return r.shortInteger();
    case 'version':
      return r.peek() >= 0x80 ? versionName(r.shortInteger()) : r.textString();
    case 'text':
      return r.textString();
    case 'text-value':
      return readTextValue(r);
    case 'field-name': {
      const b = r.peek();
      return b >= 0x80 ? r.shortInteger() : r.textString();
    }
    case 'constrained':
      return readConstrained(r);
    case 'no-value': {
      const at = r.pos;
      if (r.byte() !== 0) r.fail('BAD_VALUE', 'expected No-value', at);
      return true;
    }
    case 'date':
      return r.date();
  }
}

export function writeParams(w: Writer, params: Record<string, ParamValue>): void {
  for (const name in params) {
    const value = params[name]!;
    const spec = paramSpecFor(name, value);
    if (!spec) {
      w.textString(name);
      if (typeof value === 'number') w.integerValue(value);
      else if (value === true) w.byte(0);
      else if (value instanceof Date) throw new PduError('ENCODE_INVALID', `textual parameter ${name} cannot carry a date`, -1);
      else if (value === '') w.byte(0);
      else w.textString(value);
      continue;
    }
    w.integerValue(spec.code);
    writeTyped(w, spec.form, name, value);
  }
}

function writeTyped(w: Writer, form: ParamForm, name: string, value: ParamValue): void {
  switch (form) {
    case 'charset': {
      if (value === '*') return w.byte(0x80);
      const mib = typeof value === 'number' ? value : typeof value === 'string' ? mibOf(value) : undefined;
      if (mib === undefined) return badParam(name, value);
      return w.integerValue(mib);
    }
    case 'integer':
    case 'delta':
      return typeof value === 'number' ? w.integerValue(value) : badParam(name, value);
    case 'q':
      return typeof value === 'number' ? w.uintvar(value) : badParam(name, value);
    case 'short':
    case 'field-name':
      if (typeof value === 'number') return w.shortInteger(value);
      return typeof value === 'string' && form === 'field-name' ? w.textString(value) : badParam(name, value);
    case 'version': {
      if (typeof value !== 'string') return badParam(name, value);
      const v = versionValue(value);
      return v !== undefined ? w.shortInteger(v) : w.textString(value);
    }
    case 'text':
    case 'text-value':
      return typeof value === 'string' ? w.textString(value) : badParam(name, value);
    case 'constrained': {
      if (typeof value === 'number') return w.shortInteger(value);
      if (typeof value !== 'string') return badParam(name, value);
      const code = contentTypeCode(value);
      return code !== undefined && code < 128 ? w.shortInteger(code) : w.textString(value);
    }
    case 'no-value':
      return w.byte(0);
    case 'date':
      return value instanceof Date ? w.date(value) : badParam(name, value);
  }
}

function badParam(name: string, value: ParamValue): never {
  throw new PduError('ENCODE_INVALID', `parameter ${name} cannot take ${String(value)}`, -1);
}

/**
 * A header carried without interpretation: Well-known-header (short code + its raw value octets) or
 * Application-header = Token-text Application-specific-value   ; WAP-230 8.4.2.6
 */
export function writeExtraHeader(w: Writer, h: ExtraHeader): void {
  if ('code' in h) {
    w.byte(0x80 | h.code);
    w.bytes(h.value);
  } else {
    w.textString(h.name);
    w.textString(h.value);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Content-disposition-value = Value-length Disposition *(Parameter)   ; WAP-230 8.4.2.53
//   Disposition = Form-data | Attachment | Inline | Token-text ; 128 | 129 | 130
// ---------------------------------------------------------------------------------------------------------

const DISPOSITIONS = ['form-data', 'attachment', 'inline'] as const;

export function readContentDisposition(r: Reader): ContentDisposition {
  if (!r.atValueLength()) {
    // Some encoders omit the Value-length when there are no parameters.
    return { disposition: readDisposition(r) };
  }
  const outer = r.enter(r.valueLength());
  const cd: ContentDisposition = { disposition: readDisposition(r) };
  if (r.pos < r.end) cd.params = readParams(r);
  r.leave(outer);
  return cd;
}

/** Disposition = Form-data | Attachment | Inline | Token-text */
function readDisposition(r: Reader): string {
  const b = r.peek();
  if (b < 0x80) return r.textString();
  const at = r.pos;
  return DISPOSITIONS[r.shortInteger()] ?? r.fail('BAD_VALUE', `unknown disposition 0x${b.toString(16)}`, at);
}

export function writeContentDisposition(w: Writer, cd: ContentDisposition): void {
  const lenAt = w.openLength();
  const i = dispositionIndex(cd.disposition);
  if (i >= 0) w.shortInteger(i);
  else w.textString(cd.disposition);
  if (cd.params) writeParams(w, cd.params);
  w.closeLength(lenAt);
}

function dispositionIndex(disposition: string): number {
  const i = (DISPOSITIONS as readonly string[]).indexOf(disposition);
  return i >= 0 ? i : (DISPOSITIONS as readonly string[]).indexOf(disposition.toLowerCase());
}
