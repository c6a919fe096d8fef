import { PduError } from '../wsp/errors.js';
import type { CharsetText, ContentDisposition, ContentType, EncodedStringValue, ExtraHeader, ParamValue, Part } from '../wsp/model.js';
import { mediaTypeOf } from '../wsp/values.js';
import type { FromValue, MmsPdu } from './model.js';

/**
 * The JSON form of a PDU, as `mmsc pdu decode` prints it and `mmsc pdu encode` reads it: the model with
 * Dates as ISO 8601 strings, octets as base64 (`...Base64` keys), content types as their media type string
 * (`contentType`) beside their parameters (`contentTypeParams`), and parts listed with name and size.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface JsonOptions {
  /** Include part data (`dataBase64`) and the body, so that the JSON can be encoded back. */
  data?: boolean;
}

/** Fields whose value is a Date (or, for time values, a Date or relative seconds). */
const DATE_FIELDS = new Set(['date']);
const TIME_FIELDS = new Set(['expiry', 'deliveryTime', 'replyChargingDeadline']);
const BUFFER_FIELDS = new Set(['content', 'additionalHeaders']);
const ENCODED_FIELDS = new Set(['subject', 'retrieveText', 'storeStatusText', 'recommendedRetrievalModeText', 'statusText']);
const ADDRESS_LIST_FIELDS = new Set(['to', 'cc', 'bcc']);

export function pduToJson(pdu: MmsPdu, options: JsonOptions = {}): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(pdu)) {
    if (value === undefined) continue;
    switch (key) {
      case 'contentType':
        Object.assign(out, contentTypeToJson(value as ContentType));
        break;
      case 'parts':
        out.parts = (value as Part[]).map((p) => partToJson(p, options));
        break;
      case 'body':
        out.bodySize = (value as Buffer).length;
        if (options.data) out.bodyBase64 = (value as Buffer).toString('base64');
        break;
      case 'extraHeaders':
        out.extraHeaders = (value as ExtraHeader[]).map(extraToJson);
        break;
      default:
        out[key] = valueToJson(value);
    }
  }
  return out;
}

function valueToJson(v: unknown): Json {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return { base64: v.toString('base64') };
  if (Array.isArray(v)) return v.map(valueToJson);
  if (typeof v === 'object' && v !== null) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      if (k === 'raw' && Buffer.isBuffer(x)) o.rawBase64 = x.toString('base64');
      else o[k] = valueToJson(x);
    }
    return o;
  }
  return v as Json;
}

function contentTypeToJson(ct: ContentType): JsonObject {
  const o: JsonObject = { contentType: mediaTypeOf(ct) };
  if (typeof ct.mediaType === 'number') o.contentTypeCode = ct.mediaType;
  if (ct.params) o.contentTypeParams = valueToJson(ct.params);
  if (ct.generalForm) o.contentTypeGeneralForm = true;
  return o;
}

function extraToJson(h: ExtraHeader): Json {
  return 'code' in h ? { code: h.code, valueBase64: h.value.toString('base64') } : { name: h.name, value: h.value };
}

function partToJson(p: Part, options: JsonOptions): JsonObject {
  const o: JsonObject = contentTypeToJson(p.contentType);
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined || key === 'contentType' || key === 'data' || key === 'parts') continue;
    if (key === 'headers') o.headers = (value as ExtraHeader[]).map(extraToJson);
    else o[key] = valueToJson(value);
  }
  const name = partName(p);
  if (name !== undefined) o.name = name;
  o.size = p.data.length;
  if (p.parts) o.parts = p.parts.map((x) => partToJson(x, options));
  else if (options.data) o.dataBase64 = p.data.toString('base64');
  return o;
}

/** The file name of a part: Content-Type name, else filename, else the Content-Disposition filename. */
export function partName(p: Part): string | undefined {
  const n = p.contentType.params?.name ?? p.contentType.params?.filename ?? p.contentDisposition?.params?.filename;
  return typeof n === 'string' ? n : undefined;
}

// -------------------------------------------------------------------------------------------------------
// JSON -> model. Every error names the JSON path.
// -------------------------------------------------------------------------------------------------------

/** Loads the bytes of a part given as `{ "file": "path" }` (the CLI reads files; this module does no I/O). */
export type FileLoader = (path: string) => Buffer;

function bad(path: string, message: string): PduError {
  return new PduError('ENCODE_INVALID', `${path}: ${message}`, -1);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toDate(v: unknown, path: string): Date {
  const d = typeof v === 'string' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw bad(path, 'expected an ISO 8601 date');
  return d;
}

function toBuffer(v: unknown, path: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(path, 'expected base64');
  return Buffer.from(v, 'base64');
}

function toEncoded(v: unknown, path: string): EncodedStringValue {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.text === 'string' && (typeof v.charset === 'string' || typeof v.charset === 'number')) {
    const c: CharsetText = { charset: v.charset as CharsetText['charset'], text: v.text };
    if (v.rawBase64 !== undefined) c.raw = toBuffer(v.rawBase64, `${path}.rawBase64`);
    return c;
  }
  throw bad(path, 'expected a string or { charset, text }');
}

/** WSP date parameters (WAP-230 Table 38), printed as ISO strings. */
const DATE_PARAMS = new Set(['creation-date', 'modification-date', 'read-date']);

function toParams(v: unknown, path: string): Record<string, ParamValue> {
  if (!isObject(v)) throw bad(path, 'expected an object');
  const out: Record<string, ParamValue> = {};
  for (const [k, x] of Object.entries(v)) {
    if (DATE_PARAMS.has(k)) out[k] = toDate(x, `${path}.${k}`);
    else if (typeof x === 'string' || typeof x === 'number' || x === true) out[k] = x;
    else throw bad(`${path}.${k}`, 'expected a string, number or true');
  }
  return out;
}

function toContentType(o: Record<string, unknown>, path: string): ContentType {
  const media = o.contentTypeCode ?? o.contentType;
  if (typeof media !== 'string' && typeof media !== 'number') throw bad(`${path}.contentType`, 'expected a media type string');
  const ct: ContentType = { mediaType: media };
  if (o.contentTypeParams !== undefined) ct.params = toParams(o.contentTypeParams, `${path}.contentTypeParams`);
  if (o.contentTypeGeneralForm === true) ct.generalForm = true;
  return ct;
}

function toExtra(v: unknown, path: string): ExtraHeader {
  if (isObject(v) && typeof v.code === 'number') return { code: v.code, value: toBuffer(v.valueBase64, `${path}.valueBase64`) };
  if (isObject(v) && typeof v.name === 'string' && typeof v.value === 'string') return { name: v.name, value: v.value };
  throw bad(path, 'expected { code, valueBase64 } or { name, value }');
}

function toPart(v: unknown, path: string, load?: FileLoader): Part {
  if (!isObject(v)) throw bad(path, 'expected an object');
  const part = { contentType: toContentType(v, path) } as Part;
  for (const [key, x] of Object.entries(v)) {
    const p = `${path}.${key}`;
    switch (key) {
      case 'contentId':
      case 'contentLocation':
        if (typeof x !== 'string') throw bad(p, 'expected a string');
        part[key] = x;
        break;
      case 'contentIdUnquoted':
        if (x === true) part.contentIdUnquoted = true;
        break;
      case 'contentDisposition': {
        if (!isObject(x) || typeof x.disposition !== 'string') throw bad(p, 'expected { disposition, params? }');
        const cd: ContentDisposition = { disposition: x.disposition };
        if (x.params !== undefined) cd.params = toParams(x.params, `${p}.params`);
        part.contentDisposition = cd;
        break;
      }
      case 'headers':
        if (!Array.isArray(x)) throw bad(p, 'expected an array');
        part.headers = x.map((h, i) => toExtra(h, `${p}[${i}]`));
        break;
    }
  }
  if (Array.isArray(v.parts)) {
    part.parts = v.parts.map((x, i) => toPart(x, `${path}.parts[${i}]`, load));
    part.data = Buffer.alloc(0);
  } else if (v.dataBase64 !== undefined) part.data = toBuffer(v.dataBase64, `${path}.dataBase64`);
  else if (typeof v.file === 'string') {
    if (!load) throw bad(`${path}.file`, 'files cannot be read here');
    part.data = load(v.file);
  } else throw bad(path, 'a part needs dataBase64, file or parts');
  // `name` is printed for convenience; given on input for a part without parameters, it becomes one.
  if (typeof v.name === 'string' && v.contentTypeParams === undefined && v.contentDisposition === undefined) {
    part.contentType.params = { name: v.name };
  }
  return part;
}

/** Build a PDU model from its JSON form. Throws PduError ENCODE_INVALID naming the offending path. */
export function pduFromJson(json: unknown, load?: FileLoader): MmsPdu {
  if (!isObject(json)) throw bad('$', 'expected a JSON object');
  if (typeof json.messageType !== 'string') throw bad('$.messageType', 'expected a message type such as "m-send-req"');
  const pdu: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(json)) {
    const path = `$.${key}`;
    if (v === null || v === undefined) continue;
    if (key === 'contentType') pdu.contentType = toContentType(json, '$');
    else if (key === 'contentTypeParams' || key === 'contentTypeCode' || key === 'contentTypeGeneralForm' || key === 'bodySize') continue;
    else if (key === 'parts') {
      if (!Array.isArray(v)) throw bad(path, 'expected an array');
      pdu.parts = v.map((p, i) => toPart(p, `${path}[${i}]`, load));
    } else if (key === 'bodyBase64') pdu.body = toBuffer(v, path);
    else if (key === 'extraHeaders') {
      if (!Array.isArray(v)) throw bad(path, 'expected an array');
      pdu.extraHeaders = v.map((h, i) => toExtra(h, `${path}[${i}]`));
    } else if (DATE_FIELDS.has(key)) pdu[key] = toDate(v, path);
    else if (TIME_FIELDS.has(key)) pdu[key] = typeof v === 'number' ? v : toDate(v, path);
    else if (BUFFER_FIELDS.has(key)) pdu[key] = isObject(v) ? toBuffer(v.base64, `${path}.base64`) : toBuffer(v, path);
    else if (ENCODED_FIELDS.has(key)) pdu[key] = toEncoded(v, path);
    else if (ADDRESS_LIST_FIELDS.has(key)) {
      const list = Array.isArray(v) ? v : [v];
      pdu[key] = list.map((a, i) => toEncoded(a, `${path}[${i}]`));
    } else if (key === 'from')
      pdu.from = isObject(v) && v.insertAddress === true ? ({ insertAddress: true } as FromValue) : toEncoded(v, path);
    else if (key === 'responseText')
      pdu.responseText = isObject(v) && 'index' in v ? { index: v.index, value: toEncoded(v.value, `${path}.value`) } : toEncoded(v, path);
    else if (key === 'previouslySentBy') {
      if (!Array.isArray(v)) throw bad(path, 'expected an array');
      pdu.previouslySentBy = v.map((x, i) =>
        isObject(x) ? { count: x.count, address: toEncoded(x.address, `${path}[${i}].address`) } : x,
      );
    } else if (key === 'previouslySentDate') {
      if (!Array.isArray(v)) throw bad(path, 'expected an array');
      pdu.previouslySentDate = v.map((x, i) => (isObject(x) ? { count: x.count, date: toDate(x.date, `${path}[${i}].date`) } : x));
    } else if (key === 'mmFlags') pdu.mmFlags = isObject(v) ? { action: v.action, flag: toEncoded(v.flag, `${path}.flag`) } : v;
    else pdu[key] = v; // strings, numbers, enum tokens, plain objects: the encoder validates them
  }
  return pdu as unknown as MmsPdu;
}
