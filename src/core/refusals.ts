/**
 * The one catalogue of refusals: why the gateway will not take (or go on with) a request, and what that is
 * on every edge. An edge throws or returns a `Refusal` carrying a code; it answers from the entry, never
 * from a literal of its own. A test checks that every entry fills every column and is documented in
 * docs/refusals.md.
 *
 * SKELETON: the shape is fixed; the entries are being filled in (issue 21 §2).
 */

/** MM1 X-Mms-Response-Status names (OMA-TS-MMS_ENC §7.3.48), for MMS 1.0 and for 1.1 and later. */
export interface Mm1Statuses {
  v10: string;
  v11: string;
}

/** An SMTP reply (RFC 5321 §4.2) and its enhanced status code (RFC 3463). */
export interface SmtpStatus {
  reply: number;
  enhanced: string;
}

export interface RefusalEntry {
  /** Short human text, the same on every edge (MM7 StatusText, REST error title, SMTP reply text). */
  summary: string;
  /** Trying again later may succeed (MM7 3xxx/4006, MM1 0xC_, HTTP 429/503, SMTP 4xx). */
  transient: boolean;
  /** MM7 StatusCode (3GPP TS 23.140 §8.7.4, table 8.7.4). */
  mm7: number;
  mm1: Mm1Statuses;
  http: number;
  smtp: SmtpStatus;
  /** SMPP command_status for an MO/deliver_sm answer, where one applies (SMPP v3.4 §5.1.3). */
  esme?: number;
}

export const REFUSALS = {
  'store-unavailable': {
    summary: 'the message could not be stored; retry later',
    transient: true,
    mm7: 3001,
    mm1: { v10: 'Error-network-problem', v11: 'Error-transient-network-problem' },
    http: 503,
    smtp: { reply: 451, enhanced: '4.3.0' },
    esme: 0x00000008, // ESME_RSYSERR
  },
  throttled: {
    summary: 'throughput limit reached; retry later',
    transient: true,
    mm7: 4006,
    mm1: { v10: 'Error-network-problem', v11: 'Error-transient-failure' },
    http: 429,
    smtp: { reply: 451, enhanced: '4.7.0' },
    esme: 0x00000058, // ESME_RTHROTTLED
  },
  // No route reaches a recipient, and the edge refuses the submission rather than accept it and report the
  // recipient rejected (core/intake.ts, UnroutablePolicy 'refuse'; today MM1 and SMPP MO). Permanent: the
  // same request fails the same way. MM7 2003 Address Not Found (TS 23.140 §8.7.4: well formed, but not
  // reachable from this MMSC); MM1 sending-address-unresolved (OMA-TS-MMS_ENC §7.3.48); SMTP 5.4.4 Unable
  // to route (RFC 3463 §3.5); SMPP ESME_RINVDSTADR.
  'recipient-unroutable': {
    summary: 'a recipient cannot be reached from this MMSC',
    transient: false,
    mm7: 2003,
    mm1: { v10: 'Error-sending-address-unresolved', v11: 'Error-permanent-sending-address-unresolved' },
    http: 400,
    smtp: { reply: 550, enhanced: '5.4.4' },
    esme: 0x0000000b, // ESME_RINVDSTADR
  },
} as const satisfies Record<string, RefusalEntry>;

export type RefusalCode = keyof typeof REFUSALS;

/** A request refused for a catalogued reason; `message` is the detail for this request. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly code: RefusalCode,
    message: string = REFUSALS[code].summary,
    /** With a transient refusal: when trying again may succeed. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get entry(): RefusalEntry {
    return REFUSALS[this.code];
  }
}
