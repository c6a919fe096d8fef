// SMSC delivery receipts (SMPP 3.4 §5.2.12 esm_class, §5.3.2 TLVs, Appendix B text).
import type { DeliverSm } from './deliver-sm.js';

/**
 * An SMSC delivery receipt. `messageId` is the submit_sm_resp message id the SMSC refers to, as it wrote it
 * (trimmed, never converted between hex and decimal); `state` the Appendix B stat value (from the
 * message_state TLV when present, else the text's stat:, as written, e.g. 'DELIVRD'; 'UNKNOWN' when neither).
 */
export interface Receipt {
  messageId: string;
  state: 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD' | 'ENROUTE' | (string & {});
  /** The text's err: field, as written. */
  error?: string;
  /** The text's done date: field (YYMMDDhhmm), as written. */
  doneAt?: string;
  raw: DeliverSm;
}

/** SMPP 3.4 §5.2.12 esm_class bits 5-2 (message type) of a deliver_sm; 0x04 = SMSC Delivery Receipt. */
const ESM_TYPE_MASK = 0x3c;
const ESM_SMSC_DELIVERY_RECEIPT = 0x04;

/** SMPP 3.4 §5.2.28 message_state values, written as the Appendix B stat: abbreviations (0 and 9 are v5.0). */
const MESSAGE_STATE: Readonly<Record<number, Receipt['state']>> = {
  0: 'SCHEDULED',
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
  9: 'SKIPPED',
};

/** Whether a deliver_sm is an SMSC delivery receipt: esm_class message type (bits 5-2) = 0001. */
export const isDeliveryReceipt = (d: DeliverSm): boolean => (d.esmClass & ESM_TYPE_MASK) === ESM_SMSC_DELIVERY_RECEIPT;

/**
 * The fields of a receipt's text (SMPP 3.4 Appendix B, a de-facto format):
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 * Liberal: field names in any case, `submit_date`/`done_date` spellings, any field missing or in another
 * order, spaces around the colon. Each value runs to the next field name; `text:` to the end (it may contain
 * anything). Values are trimmed and otherwise kept as written. Keys: id, sub, dlvrd, submit date, done date,
 * stat, err, text.
 */
export function receiptFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const names = /(?:^|\s)(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:/gi;
  let prev: { key: string; end: number } | undefined;
  for (let m = names.exec(text); m !== null; m = names.exec(text)) {
    if (prev) fields[prev.key] ??= text.slice(prev.end, m.index).trim();
    prev = { key: m[1]!.toLowerCase().replace(/[ _]?date$/, ' date'), end: m.index + m[0].length };
    if (prev.key === 'text') break;
  }
  if (prev) fields[prev.key] ??= text.slice(prev.end).trim();
  return fields;
}

/** The text of a short_message or message_payload: UCS2 (data_coding 0x08) as UTF-16BE, anything else one char per octet. */
function textOf(octets: Buffer, dataCoding: number): string {
  if (dataCoding === 0x08 && octets.length % 2 === 0) return Buffer.from(octets).swap16().toString('utf16le');
  return octets.toString('latin1');
}

/**
 * Reads a delivery receipt: the id from the receipted_message_id TLV if present, else the text's id:; the
 * state from the message_state TLV if present, else the text's stat:. Undefined when no id is found.
 */
export function parseReceipt(d: DeliverSm): Receipt | undefined {
  const octets = d.shortMessage.length === 0 && d.messagePayload ? d.messagePayload : d.shortMessage;
  const f = receiptFields(textOf(octets, d.dataCoding));
  const messageId = d.receiptedMessageId?.trim() || f.id;
  if (!messageId) return undefined;
  const state = (d.messageState !== undefined ? MESSAGE_STATE[d.messageState] : undefined) ?? (f.stat || 'UNKNOWN');
  const r: Receipt = { messageId, state, raw: d };
  if (f.err) r.error = f.err;
  if (f['done date']) r.doneAt = f['done date'];
  return r;
}
