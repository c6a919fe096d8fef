import type { Mm7StatusCode } from '../../protocols/mm7/index.js';
import type { ResponseStatus } from '../../protocols/mms/index.js';

/**
 * The one catalogue of refusals: why the gateway will not take (or go on with) a request, and what that is
 * on every edge. An edge throws or returns a `Refusal` carrying a code; it answers from the entry, never
 * from a literal of its own. test/core/refusals.test.ts checks that every entry fills every column with a
 * value of the protocol's own table and that docs/refusals.md documents every code as it is here.
 *
 * Transient or permanent follows each protocol's own split:
 * - MM7 (3GPP TS 23.140 §8.7.4): 2xxx are the client's errors and 4xxx service errors, permanent, except 4006
 *   Service unavailable ("the server is temporarily unavailable, e.g. busy"); 3xxx are server errors ("the
 *   server failed to fulfil an apparently valid request"), the class our transient refusals use (3001), but
 *   not transient by class: 3001 is also the spec's answer to a cancel that comes too late, and 3003's remedy
 *   is splitting the request. So: transient => 3xxx or 4006; 2xxx and the other 4xxx => permanent.
 * - MM1 (OMA-TS-MMS_ENC §7.3.48): MMS 1.0 has one generic code per reason (0x81-0x88); 1.1 and later split
 *   them into transient (0xC_) and permanent (0xE_) ones and make the old ones obsolete. A handset is answered
 *   in the version it spoke (src/mm1/statuses.ts); when its PDU could not be read far enough to know, in the
 *   1.0 form every version understands. 1.0 has no transient codes: its network-problem is the one handsets
 *   retry, so every transient entry answers it.
 * - HTTP (RFC 9110 §15): 429 and 503 (with Retry-After) are the "later" answers; every other 4xx is the
 *   request's fault.
 * - SMTP (RFC 5321 §4.2.1, RFC 3463 §3.1): 4yz transient, 5yz permanent, the enhanced code's class the same
 *   digit. One exception, by RFC 5321 §4.5.3.1.10: "too many recipients" is 452 (send the remaining ones in
 *   another transaction), while the refusal itself is permanent on the edges that refuse a whole request.
 * - SMPP (v3.4 §5.1.3): ESME_RX_T_APPN asks the SMSC to deliver the deliver_sm again later.
 */

/** MM1 X-Mms-Response-Status names (OMA-TS-MMS_ENC §7.3.48), for MMS 1.0 and for 1.1 and later. */
export interface Mm1Statuses {
  v10: ResponseStatus;
  v11: ResponseStatus;
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
  mm7: Mm7StatusCode;
  mm1: Mm1Statuses;
  http: number;
  smtp: SmtpStatus;
  /** SMPP command_status for an MO/deliver_sm answer, where one applies (SMPP v3.4 §5.1.3). */
  esme?: number;
}

export const REFUSALS = {
  // -- transient: the same request may succeed later ------------------------------------------------------------

  /**
   * The store cannot be reached, or refuses writes (full): nothing was accepted. MM7 3001 Not possible (a
   * server-side refusal; VASPs retry it); MM1 network-problem; SMPP: the SMSC delivers the MO again later.
   */
  'store-unavailable': {
    summary: 'the message could not be stored; retry later',
    transient: true,
    mm7: 3001,
    mm1: { v10: 'Error-network-problem', v11: 'Error-transient-network-problem' },
    http: 503,
    smtp: { reply: 451, enhanced: '4.3.0' },
    esme: 0x00000064, // ESME_RX_T_APPN
  },
  /**
   * Over the sender's own limit (rate, burst, requests in progress). MM7 4006 Service unavailable; MM1: over
   * the subscriber's submission rate is a transient failure (try again later).
   */
  throttled: {
    summary: 'throughput limit reached; retry later',
    transient: true,
    mm7: 4006,
    mm1: { v10: 'Error-network-problem', v11: 'Error-transient-failure' },
    http: 429,
    smtp: { reply: 451, enhanced: '4.7.0' },
    esme: 0x00000058, // ESME_RTHROTTLED
  },
  /**
   * The listener as a whole is over its budget (request bodies being received at once), whoever sends: MM7
   * answers it as it answers a throttled VASP (4006: "temporarily unavailable, e.g. busy"); HTTP says the
   * server, not the client, is over a limit (503, not 429); SMTP 421 closes the channel (RFC 5321 §3.8).
   */
  overloaded: {
    summary: 'the gateway is busy; retry later',
    transient: true,
    mm7: 4006,
    mm1: { v10: 'Error-network-problem', v11: 'Error-transient-network-problem' },
    http: 503,
    smtp: { reply: 421, enhanced: '4.3.2' },
    esme: 0x00000064, // ESME_RX_T_APPN
  },

  // -- permanent: who sends ------------------------------------------------------------------------------------

  /**
   * The request does not identify its sender as one allowed to send it: a VASPID that is not the
   * authenticated VASP's (MM7 4001 Improper identification), a handset request without a trusted local
   * subscriber (MM1 service-denied, answered HTTP 403 before the PDU is read).
   */
  'improper-identification': {
    summary: 'the request does not identify a sender allowed here',
    transient: false,
    mm7: 4001,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 403,
    smtp: { reply: 550, enhanced: '5.7.1' },
  },
  /** A sender address the account may not use (MM7 2001 Operation restricted: a policy restriction). */
  'sender-not-allowed': {
    summary: 'the sender address is not allowed for this account',
    transient: false,
    mm7: 2001,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 403,
    smtp: { reply: 550, enhanced: '5.7.1' },
    esme: 0x0000000a, // ESME_RINVSRCADR
  },

  // -- permanent: to whom ---------------------------------------------------------------------------------------

  /** A recipient address that does not parse, or no recipient at all (MM7 2002 Address Error). */
  'address-error': {
    summary: 'a recipient address is missing or not valid',
    transient: false,
    mm7: 2002,
    mm1: { v10: 'Error-sending-address-unresolved', v11: 'Error-permanent-sending-address-unresolved' },
    http: 400,
    smtp: { reply: 553, enhanced: '5.1.3' },
    esme: 0x0000000b, // ESME_RINVDSTADR
  },
  /**
   * A valid recipient this gateway has no route to (another carrier's subscriber, with no MM4 to it): §8.7.4
   * 2002 also covers "an address the MMS Relay/Server does not serve"; MM1 sending-address-unresolved, which
   * the sender must know at once; SMTP X.4.4 Unable to route.
   */
  unroutable: {
    summary: 'a recipient cannot be reached from this gateway',
    transient: false,
    mm7: 2002,
    mm1: { v10: 'Error-sending-address-unresolved', v11: 'Error-permanent-sending-address-unresolved' },
    http: 400,
    smtp: { reply: 550, enhanced: '5.4.4' },
    esme: 0x0000000b, // ESME_RINVDSTADR
  },
  /**
   * More recipients than the operator allows in one submission (mm7.maxRecipients, mm1.maxRecipients).
   * MM7 3003 Multiple addresses not supported, whose remedy (send it again as several requests with fewer
   * recipients) is the VASP's; nothing else in the request is at fault, so neither 2002 nor 4004.
   * MM1: the PDU is well formed and every address may resolve, so neither format-corrupt nor
   * sending-address-unresolved; the content is not at fault either (content-not-accepted). What is refused is
   * the service asked for, by the MMSC's policy, and sending the same request again fails the same way:
   * permanent service-denied (0xE1; 1.0: Error-service-denied, 0x82). The text names the limit, so that the
   * user can split the message. SMTP: 452 4.5.3 (RFC 5321 §4.5.3.1.10, RFC 3463 X.5.3), the one reply whose
   * class is not the entry's: the client sends the remaining recipients in another transaction.
   */
  'too-many-recipients': {
    summary: 'more recipients than allowed in one message',
    transient: false,
    mm7: 3003,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 400,
    smtp: { reply: 452, enhanced: '4.5.3' },
  },
  /** The recipient asked for no more messages (STOP): MM7 4007 Service denied; SMTP X.7.1, per-recipient filtering. */
  'opted-out': {
    summary: 'the recipient does not accept messages from this service',
    transient: false,
    mm7: 4007,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 403,
    smtp: { reply: 550, enhanced: '5.7.1' },
  },
  /**
   * A marketing message to a subscriber who has not opted in to this sender (issue 24, consent registry:
   * explicit opt-in before marketing, as the TCPA and its equivalents require). MM7 4007 Service denied; HTTP
   * 403; SMTP X.7.1. A transactional message is not refused for want of an opt-in (an opt-out still wins).
   */
  'consent-required': {
    summary: 'the recipient has not opted in to marketing from this sender',
    transient: false,
    mm7: 4007,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 403,
    smtp: { reply: 550, enhanced: '5.7.1' },
  },
  /**
   * A marketing message over the sender's frequency cap for this subscriber (per day or per week), where the
   * sender's policy refuses rather than defers: MM7 4007 Service denied; HTTP 403; SMTP X.7.1. Permanent for
   * this message (it is not tried again); a later message may pass once the window moves on.
   */
  'frequency-capped': {
    summary: "the recipient has had the most marketing messages this sender's cap allows",
    transient: false,
    mm7: 4007,
    mm1: { v10: 'Error-service-denied', v11: 'Error-permanent-service-denied' },
    http: 403,
    smtp: { reply: 550, enhanced: '5.7.1' },
  },

  // -- permanent: what ------------------------------------------------------------------------------------------

  /**
   * The request cannot be read as what it claims to be: malformed MIME, no SOAP part, a Content href that
   * names nothing, an unreadable form or PDU (MM7 2007 Message format corrupt; MM1 message-format-corrupt).
   */
  'format-corrupt': {
    summary: 'the request is malformed',
    transient: false,
    mm7: 2007,
    mm1: { v10: 'Error-message-format-corrupt', v11: 'Error-permanent-message-format-corrupt' },
    http: 400,
    smtp: { reply: 554, enhanced: '5.6.0' },
    esme: 0x00000065, // ESME_RX_P_APPN
  },
  /**
   * A value or structure the request may not have: an unknown or repeated field, a time that is neither a
   * dateTime nor a duration, an envelope over its limits (MM7 4004 Validation error, as protocols/mm7 answers
   * what the parser refuses); MM1's nearest is message-format-corrupt.
   */
  'validation-error': {
    summary: 'the request has a field or value that is not valid',
    transient: false,
    mm7: 4004,
    mm1: { v10: 'Error-message-format-corrupt', v11: 'Error-permanent-message-format-corrupt' },
    http: 400,
    smtp: { reply: 554, enhanced: '5.6.0' },
    esme: 0x00000065, // ESME_RX_P_APPN
  },
  /**
   * The message's expiry is already past when it arrives. MM7: the ExpiryDate is a value that is not valid
   * (4004); MM1: the content is not accepted as sent (content-not-accepted); SMTP X.4.7 Delivery time expired.
   */
  expired: {
    summary: 'the message has expired already',
    transient: false,
    mm7: 4004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 400,
    smtp: { reply: 554, enhanced: '5.4.7' },
    esme: 0x00000062, // ESME_RINVEXPIRY
  },
  /**
   * The request or its content is over a size limit (MM7 2004 Multimedia content refused: "the content size
   * or media type was unacceptable"; MM1 content-not-accepted; SMTP 552 5.3.4, as RFC 1870 answers SIZE).
   */
  'message-too-large': {
    summary: 'the message is over the size limit',
    transient: false,
    mm7: 2004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 413,
    smtp: { reply: 552, enhanced: '5.3.4' },
    esme: 0x00000001, // ESME_RINVMSGLEN
  },
  /**
   * The request's media type is not one the edge takes (MM7: not SOAP; MM1: not an MMS PDU; REST: not a
   * form). Answered at the HTTP level (415) before anything is read; MM7 4004 ("the message format is not
   * compatible"), MM1 content-not-accepted, SMTP X.6.1 Media not supported.
   */
  'unsupported-media-type': {
    summary: 'the request is not of a media type this interface takes',
    transient: false,
    mm7: 4004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 415,
    smtp: { reply: 554, enhanced: '5.6.1' },
  },
  /**
   * An operation this gateway does not take from this sender (a DeliverReq sent to the MMSC, an
   * m-notification-ind from a handset): MM7 4003 Unsupported operation; MM1 unsupported-message, which 1.1
   * kept (it has no 0xE_ form); SMTP 502 5.5.1, a command not implemented.
   */
  'unsupported-operation': {
    summary: 'this operation is not supported here',
    transient: false,
    mm7: 4003,
    mm1: { v10: 'Error-unsupported-message', v11: 'Error-unsupported-message' },
    http: 400,
    smtp: { reply: 502, enhanced: '5.5.1' },
  },

  // -- permanent: which message ---------------------------------------------------------------------------------

  /** No such message of this sender (another sender's message is not found either): MM7 2005 Message ID Not found. */
  'message-not-found': {
    summary: 'no such message',
    transient: false,
    mm7: 2005,
    mm1: { v10: 'Error-message-not-found', v11: 'Error-permanent-message-not-found' },
    http: 404,
    smtp: { reply: 550, enhanced: '5.0.0' },
    esme: 0x0000000c, // ESME_RINVMSGID
  },
  /**
   * The message is known but past the point where the request could change it (a cancel or replace of a
   * message delivered, being delivered, or ended): §8.7.4 3001 Not possible, "a cancel ... on a message that
   * is no longer available for cancel"; HTTP 409 Conflict with the message's state.
   */
  'too-late': {
    summary: 'the message can no longer be changed',
    transient: false,
    mm7: 3001,
    mm1: { v10: 'Error-unspecified', v11: 'Error-permanent-failure' },
    http: 409,
    smtp: { reply: 550, enhanced: '5.0.0' },
  },
  /**
   * Media the sender named by URL could not be fetched (404, no Content-Length, too big, too slow, refused by
   * the outbound guard, ...): HTTP 422 with the URL and the reason; MM7 2004 Multimedia content refused.
   */
  'media-unavailable': {
    summary: 'media named by URL could not be fetched',
    transient: false,
    mm7: 2004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 422,
    smtp: { reply: 554, enhanced: '5.6.0' },
  },
  /**
   * A part's bytes are not of the type it declares (sniffed from its magic numbers), or of a type not allowed:
   * an executable named .jpg is never stored. MM7 2004; MM1 content-not-accepted; HTTP 422; SMTP X.6.1.
   */
  'content-type-mismatch': {
    summary: 'a part is not of the media type it declares, or of one not allowed',
    transient: false,
    mm7: 2004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 422,
    smtp: { reply: 554, enhanced: '5.6.1' },
  },
  /**
   * The content does not fit the recipient (its handset, or the route's cap) and the originator forbade
   * adaptation (MM7 allowAdaptations=false, 3GPP TS 23.140 §8.7.1; MM1 X-Mms-Adaptation-Allowed No,
   * OMA-TS-MMS_ENC §7.3.1): refused instead of changed (issue 25). At delivery the recipient ends `rejected`
   * with this code; a handset's retrieval is answered Error-permanent-content-unsupported (§7.3.50).
   */
  'adaptation-forbidden': {
    summary: 'the content does not fit the recipient and the originator does not allow adaptation',
    transient: false,
    mm7: 2004,
    mm1: { v10: 'Error-content-not-accepted', v11: 'Error-permanent-content-not-accepted' },
    http: 422,
    smtp: { reply: 554, enhanced: '5.6.3' },
  },
  /**
   * The same Idempotency-Key from the same account with a different request (issue 24): HTTP 422, as the
   * IETF draft on the Idempotency-Key header answers a reused key; the first request's answer stands.
   */
  'idempotency-conflict': {
    summary: 'the Idempotency-Key was used before with a different request',
    transient: false,
    mm7: 4004,
    mm1: { v10: 'Error-message-format-corrupt', v11: 'Error-permanent-message-format-corrupt' },
    http: 422,
    smtp: { reply: 554, enhanced: '5.6.0' },
  },
  /**
   * The Idempotency-Key's first request is still being carried out (or died before it stored anything, until
   * its record goes stale): HTTP 409 with Retry-After, as the IETF draft on the Idempotency-Key header
   * answers a concurrent request; the client sends the same request again.
   */
  'idempotency-in-progress': {
    summary: 'a request with this Idempotency-Key is still in progress',
    transient: false,
    mm7: 3001,
    mm1: { v10: 'Error-unspecified', v11: 'Error-permanent-failure' },
    http: 409,
    smtp: { reply: 550, enhanced: '5.0.0' },
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
