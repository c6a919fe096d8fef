/**
 * The MMS notification push (OMA-TS-MMS_CTR §6.1.2 / WAP-251-PushMessage): an m-notification-ind
 * (OMA-TS-MMS_ENC-V1_3 §6.2) in a connectionless WSP Push with Content-Type application/vnd.wap.mms-message and
 * X-Wap-Application-Id x-wap-application:mms.ua, carried over SMS to WDP port 2948.
 *
 * Many handsets drop pushes that arrive in several segments, so the notification is kept small: the compact form
 * leaves out optional fields that only inform the user (COMPACT_DROPS). It never touches the fields §6.2 Table 5
 * makes mandatory (Message-Type, Transaction-ID, MMS-Version, Message-Class, Message-Size, Expiry,
 * Content-Location), nor optional ones that change what the handset does with the message (Applic-ID and
 * Reply-Applic-ID route it to an application, Reply-Charging-* concern payment, Replace-ID, Delivery-Report,
 * Distribution-Indicator, Stored, ...).
 */
import { decodePdu } from '../mms/decode.js';
import { encodePdu } from '../mms/encode.js';
import type { NotificationInd } from '../mms/model.js';
import { PduError } from '../wsp/errors.js';
import { mediaTypeOf } from '../wsp/values.js';
import { PushError } from './errors.js';
import { pushSegmentCount, reassemblePush, segmentPush, type PushSegment, type ReassembleOptions, type WdpPorts } from './segment.js';
import { APPLICATION_ID_MMS_UA, MAX_CONCAT_SEGMENTS, applicationIdCode } from './tables.js';
import { buildWspPush, parseWspPush, type ParsedWspPush, type WspPush } from './wsp-push.js';

export const MMS_CONTENT_TYPE = 'application/vnd.wap.mms-message';

/**
 * What the compact form leaves out, in the order 'auto' drops them (one at a time until the push fits one
 * segment). All are optional in OMA-TS-MMS_ENC-V1_3 §6.2 Table 5 and only inform the user; the handset learns
 * them anyway when it retrieves the message (m-retrieve-conf carries From and Subject).
 */
export const COMPACT_DROPS = [
  ['extraHeaders', 'headers outside Table 25 (application headers, unassigned codes): no handset needs them'],
  ['recommendedRetrievalModeText', 'X-Mms-Recommended-Retrieval-Mode-Text (§7.3.40): display text only'],
  ['subject', 'Subject (§7.3.58): display text, and often the largest field'],
  ['from', 'From (§7.3.21): shown before retrieval, sent again in m-retrieve-conf'],
] as const satisfies ReadonlyArray<readonly [keyof NotificationInd, string]>;

export type CompactField = (typeof COMPACT_DROPS)[number][0];

export interface MmsPushOptions {
  /** 8-bit concatenation reference (0-255), used when the push needs more than one segment. */
  concatRef: number;
  /** WSP Transaction ID (default 0). */
  tid?: number;
  /**
   * 'auto' (default): send the notification whole when it fits one segment, else drop COMPACT_DROPS fields one at
   * a time until it does (all of them when it never does). true: always drop them all. false: never.
   */
  compact?: boolean | 'auto';
  /** Most segments allowed (default 255); more gives PushError DOES_NOT_FIT. Set 1 to refuse concatenation. */
  maxSegments?: number;
}

export interface MmsPush {
  /** The short messages to submit, in order. */
  segments: PushSegment[];
  /** The WSP push PDU the segments carry. */
  wsp: Buffer;
  /** The encoded m-notification-ind inside it. */
  mms: Buffer;
  /** The notification as sent (without the dropped fields). */
  notification: NotificationInd;
  /** The fields left out, in drop order (empty when sent whole). */
  dropped: CompactField[];
}

/** The WSP push for an encoded MMS PDU: Content-Type 0xBE, X-Wap-Application-Id 0x84. */
export function mmsWspPush(mms: Buffer, tid = 0): WspPush {
  return { tid, contentType: { mediaType: MMS_CONTENT_TYPE }, applicationId: APPLICATION_ID_MMS_UA, data: mms };
}

interface Candidate {
  notification: NotificationInd;
  dropped: CompactField[];
  mms: Buffer;
  wsp: Buffer;
}

/**
 * Encode an m-notification-ind, wrap it in a WSP push and split it into short messages. Throws PushError
 * ENCODE_INVALID (the notification cannot be encoded, a bad option) or DOES_NOT_FIT (more segments than
 * maxSegments even in compact form, unless compact is false).
 */
export function buildMmsPush(notification: NotificationInd, options: MmsPushOptions): MmsPush {
  const compact = options.compact ?? 'auto';
  const maxSegments = options.maxSegments ?? MAX_CONCAT_SEGMENTS;
  const tid = options.tid ?? 0;
  if (compact !== 'auto' && typeof compact !== 'boolean') throw new PushError('ENCODE_INVALID', `compact must be true, false or 'auto'`);
  if ((notification as { messageType?: unknown }).messageType !== 'm-notification-ind') {
    throw new PushError(
      'ENCODE_INVALID',
      `expected an m-notification-ind, got ${String((notification as { messageType?: unknown }).messageType)}`,
    );
  }
  const make = (dropped: CompactField[]): Candidate => {
    const model = { ...notification } as NotificationInd;
    for (const key of dropped) delete model[key];
    let mms: Buffer;
    try {
      mms = encodePdu(model);
    } catch (e) {
      if (e instanceof PduError) throw new PushError('ENCODE_INVALID', e.message, -1, { cause: e });
      throw e;
    }
    return { notification: model, dropped, mms, wsp: buildWspPush(mmsWspPush(mms, tid)) };
  };
  const present = COMPACT_DROPS.map(([key]) => key).filter((key) => notification[key] !== undefined);

  let chosen: Candidate;
  if (compact === true) chosen = make(present);
  else {
    chosen = make([]);
    if (compact === 'auto') {
      for (let n = 1; n <= present.length && pushSegmentCount(chosen.wsp.length) > 1; n++) chosen = make(present.slice(0, n));
    }
  }
  let segments: PushSegment[];
  try {
    segments = segmentPush(chosen.wsp, { concatRef: options.concatRef, maxSegments });
  } catch (e) {
    if (e instanceof PushError && e.code === 'DOES_NOT_FIT') {
      const form = chosen.dropped.length > 0 ? `without ${chosen.dropped.join(', ')}` : 'whole';
      throw new PushError('DOES_NOT_FIT', `notification ${form}: ${e.detail}`, -1, { cause: e });
    }
    throw e;
  }
  return { segments, wsp: chosen.wsp, mms: chosen.mms, notification: chosen.notification, dropped: chosen.dropped };
}

export interface ParsedMmsPush {
  push: ParsedWspPush;
  notification: NotificationInd;
  ports: WdpPorts;
  concat?: { ref: number; refBits: 8 | 16; total: number };
}

/**
 * The reverse, for tests and MO traffic: reassemble short messages (UDH first), parse the push, check that it
 * is for the MMS user agent (Content-Type application/vnd.wap.mms-message; X-Wap-Application-Id mms.ua or
 * absent) and decode the m-notification-ind. Throws PushError (BAD_NOTIFICATION with the PduError as cause when
 * the body is not one).
 */
export function parseMmsPush(userData: readonly Buffer[], options: ReassembleOptions = {}): ParsedMmsPush {
  const whole = reassemblePush(userData, options);
  const push = parseWspPush(whole.pdu);
  const mediaType = mediaTypeOf(push.contentType).toLowerCase();
  if (mediaType !== MMS_CONTENT_TYPE) throw new PushError('BAD_NOTIFICATION', `Content-Type ${mediaType} is not ${MMS_CONTENT_TYPE}`);
  const app = push.applicationId;
  if (app !== undefined && app !== APPLICATION_ID_MMS_UA && (typeof app !== 'string' || applicationIdCode(app) !== APPLICATION_ID_MMS_UA)) {
    throw new PushError('BAD_NOTIFICATION', `X-Wap-Application-Id ${String(app)} is not x-wap-application:mms.ua`);
  }
  let pdu: ReturnType<typeof decodePdu>;
  try {
    pdu = decodePdu(push.data);
  } catch (e) {
    if (e instanceof PduError) throw new PushError('BAD_NOTIFICATION', e.message, -1, { cause: e });
    throw e;
  }
  if (pdu.messageType !== 'm-notification-ind') throw new PushError('BAD_NOTIFICATION', `the push carries an ${pdu.messageType}`);
  const out: ParsedMmsPush = { push, notification: pdu, ports: whole.ports };
  if (whole.concat) out.concat = whole.concat;
  return out;
}
