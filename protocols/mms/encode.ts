import { PduError } from '../wsp/errors.js';
import { sizeOf, writeMultipart } from '../wsp/multipart.js';
import type { ExtraHeader } from '../wsp/model.js';
import { writeExtraHeader } from '../wsp/values.js';
import { Writer } from '../wsp/writer.js';
import {
  CODE_CONTENT_TYPE,
  CODE_MESSAGE_TYPE,
  CODE_MMS_VERSION,
  CODE_TRANSACTION_ID,
  FIELD_BY_CODE,
  FIELD_BY_KEY,
  fieldFor,
  type FieldSpec,
} from './fields.js';
import { MANDATORY, type MmsPdu } from './model.js';
import { MESSAGE_TYPES, type MessageType } from './tables.js';

const OCTET_BY_TYPE = new Map<string, number>(MESSAGE_TYPES.map(([o, t]) => [t, o]));

/** Model key -> its field spec, or null for the keys written apart from the field loop (one lookup a key). */
const PLAN = new Map<string, FieldSpec | null>(FIELD_BY_KEY);
for (const key of ['messageType', 'transactionId', 'mmsVersion', 'contentType', 'parts', 'body', 'extraHeaders']) PLAN.set(key, null);

/**
 * Encode an MMS PDU, sized up front (headers: 1 KB covers all but group messages, which grow it once while
 * still small). Header order: X-Mms-Message-Type, X-Mms-Transaction-ID, X-Mms-MMS-Version first
 * (§6: "in this order"), then the other fields in the object's key order, Content-Type last followed by
 * the body. Throws PduError ENCODE_INVALID for a model that cannot be encoded.
 */
export function encodePdu(pdu: MmsPdu): Buffer {
  const w = new Writer((pdu.parts ? sizeOf(pdu.parts) : 0) + (pdu.body ? pdu.body.length : 0) + (pdu.parts || pdu.body ? 1024 : 256));
  writePdu(w, pdu);
  return w.finish();
}

/** Part data and bodies of at least this many octets are not copied by `encodePduChunks`. */
const MIN_REF = 2048;

/**
 * Encode an MMS PDU as a list of chunks whose concatenation is `encodePdu(pdu)`: part data and bodies of
 * 2 KB or more are the caller's own buffers, not copies (for a writev to a socket: a 100 KB retrieval is
 * otherwise copied once into the PDU and again by the kernel).
 */
export function encodePduChunks(pdu: MmsPdu): Buffer[] {
  const w = new Writer(1024 + (pdu.parts ? pdu.parts.length * 256 : 0)).vectored(MIN_REF);
  writePdu(w, pdu);
  return w.finishChunks();
}

function writePdu(w: Writer, pdu: MmsPdu): void {
  const messageType = pdu.messageType as MessageType;
  const typeOctet = OCTET_BY_TYPE.get(messageType);
  if (typeOctet === undefined) throw new PduError('ENCODE_INVALID', `unknown message type ${String(messageType)}`, -1);
  const fields = pdu as unknown as Record<string, unknown>;
  for (const key of MANDATORY[messageType]) {
    if (fields[key] === undefined) throw new PduError('ENCODE_INVALID', `${messageType} needs ${key}`, -1);
  }
  if (pdu.mmsVersion === undefined) throw new PduError('ENCODE_INVALID', `${messageType} needs mmsVersion`, -1);

  w.byte(0x80 | CODE_MESSAGE_TYPE);
  w.byte(typeOctet);
  if (pdu.transactionId !== undefined) writeField(w, CODE_TRANSACTION_ID, messageType, pdu.transactionId);
  writeField(w, CODE_MMS_VERSION, messageType, pdu.mmsVersion);

  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    if (key === 'extraHeaders') {
      writeExtras(w, pdu.extraHeaders!, false);
      continue;
    }
    const spec = PLAN.get(key);
    if (spec === null) continue;
    if (spec === undefined) throw new PduError('ENCODE_INVALID', `unknown header field ${key}`, -1);
    if (spec.repeat) {
      if (!Array.isArray(value)) throw new PduError('ENCODE_INVALID', `${key} must be an array`, -1);
      for (const v of value) writeField(w, spec.code, messageType, v);
    } else writeField(w, spec.code, messageType, value);
  }

  // Repeats of known fields go after every field, so that the field itself still comes first on the wire
  // and keeps its meaning (the decoder takes the first occurrence).
  if (pdu.extraHeaders) writeExtras(w, pdu.extraHeaders, true);

  if (pdu.contentType !== undefined) {
    writeField(w, CODE_CONTENT_TYPE, messageType, pdu.contentType);
    if (pdu.parts) writeMultipart(w, pdu.parts);
    if (pdu.body) w.bytes(pdu.body);
  } else if (pdu.parts || pdu.body) {
    throw new PduError('ENCODE_INVALID', 'a body needs a contentType', -1);
  }
}

/** Write the extra headers that are (`known`) or are not repeats of assigned fields. */
function writeExtras(w: Writer, extras: readonly ExtraHeader[], known: boolean): void {
  for (const h of extras) {
    const isRepeat = 'code' in h && FIELD_BY_CODE[h.code] !== undefined;
    if (isRepeat === known) writeExtraHeader(w, h);
  }
}

function writeField(w: Writer, code: number, messageType: MessageType, value: unknown): void {
  const spec = fieldFor(code, messageType)!;
  w.byte(0x80 | code);
  try {
    spec.codec.write(w, value);
  } catch (e) {
    if (e instanceof PduError) throw e;
    throw new PduError('ENCODE_INVALID', `${spec.key}: ${(e as Error).message}`, -1);
  }
}
