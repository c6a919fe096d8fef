/**
 * SMPP 3.4 command_status values (ESME error codes, §5.1.3, Table 5-2) and the errors the SMPP client
 * rejects a submit with. One registry, one error class: the queue route reads `code` (and `commandStatus`
 * for REJECTED) and decides retry or failure from it, never from message text.
 */

/** SMPP 3.4 §5.1.3: command_status values. Names as in the spec (and node-smpp's lib/defs.js). */
export const ESME_STATUS = {
  ESME_ROK: 0x00, // No Error
  ESME_RINVMSGLEN: 0x01, // Message Length is invalid
  ESME_RINVCMDLEN: 0x02, // Command Length is invalid
  ESME_RINVCMDID: 0x03, // Invalid Command ID
  ESME_RINVBNDSTS: 0x04, // Incorrect BIND Status for given command
  ESME_RALYBND: 0x05, // ESME Already in Bound State
  ESME_RINVPRTFLG: 0x06, // Invalid Priority Flag
  ESME_RINVREGDLVFLG: 0x07, // Invalid Registered Delivery Flag
  ESME_RSYSERR: 0x08, // System Error
  ESME_RINVSRCADR: 0x0a, // Invalid Source Address
  ESME_RINVDSTADR: 0x0b, // Invalid Dest Addr
  ESME_RINVMSGID: 0x0c, // Message ID is invalid
  ESME_RBINDFAIL: 0x0d, // Bind Failed
  ESME_RINVPASWD: 0x0e, // Invalid Password
  ESME_RINVSYSID: 0x0f, // Invalid System ID
  ESME_RCANCELFAIL: 0x11, // Cancel SM Failed
  ESME_RREPLACEFAIL: 0x13, // Replace SM Failed
  ESME_RMSGQFUL: 0x14, // Message Queue Full
  ESME_RINVSERTYP: 0x15, // Invalid Service Type
  ESME_RINVNUMDESTS: 0x33, // Invalid number of destinations
  ESME_RINVDLNAME: 0x34, // Invalid Distribution List name
  ESME_RINVDESTFLAG: 0x40, // Destination flag is invalid (submit_multi)
  ESME_RINVSUBREP: 0x42, // Invalid 'submit with replace' request
  ESME_RINVESMCLASS: 0x43, // Invalid esm_class field data
  ESME_RCNTSUBDL: 0x44, // Cannot Submit to Distribution List
  ESME_RSUBMITFAIL: 0x45, // submit_sm or submit_multi failed
  ESME_RINVSRCTON: 0x48, // Invalid Source address TON
  ESME_RINVSRCNPI: 0x49, // Invalid Source address NPI
  ESME_RINVDSTTON: 0x50, // Invalid Destination address TON
  ESME_RINVDSTNPI: 0x51, // Invalid Destination address NPI
  ESME_RINVSYSTYP: 0x53, // Invalid system_type field
  ESME_RINVREPFLAG: 0x54, // Invalid replace_if_present flag
  ESME_RINVNUMMSGS: 0x55, // Invalid number of messages
  ESME_RTHROTTLED: 0x58, // Throttling error (ESME has exceeded allowed message limits)
  ESME_RINVSCHED: 0x61, // Invalid Scheduled Delivery Time
  ESME_RINVEXPIRY: 0x62, // Invalid message validity period (Expiry time)
  ESME_RINVDFTMSGID: 0x63, // Predefined Message Invalid or Not Found
  ESME_RX_T_APPN: 0x64, // ESME Receiver Temporary App Error Code
  ESME_RX_P_APPN: 0x65, // ESME Receiver Permanent App Error Code
  ESME_RX_R_APPN: 0x66, // ESME Receiver Reject Message Error Code
  ESME_RQUERYFAIL: 0x67, // query_sm request failed
  ESME_RINVOPTPARSTREAM: 0xc0, // Error in the optional part of the PDU Body
  ESME_ROPTPARNOTALLWD: 0xc1, // Optional Parameter not allowed
  ESME_RINVPARLEN: 0xc2, // Invalid Parameter Length
  ESME_RMISSINGOPTPARAM: 0xc3, // Expected Optional Parameter missing
  ESME_RINVOPTPARAMVAL: 0xc4, // Invalid Optional Parameter Value
  ESME_RDELIVERYFAILURE: 0xfe, // Delivery Failure (used for data_sm_resp)
  ESME_RUNKNOWNERR: 0xff, // Unknown Error
} as const;

export type EsmeStatusName = keyof typeof ESME_STATUS;

const STATUS_NAMES: ReadonlyMap<number, EsmeStatusName> = new Map(
  (Object.entries(ESME_STATUS) as [EsmeStatusName, number][]).map(([name, value]) => [value, name]),
);

/** The spec name of a command_status ('ESME_RTHROTTLED'), or undefined for a vendor-specific value (0x400-0x4FF...). */
export function statusName(status: number): EsmeStatusName | undefined {
  return STATUS_NAMES.get(status);
}

/** command_status as the metrics label and logs write it: '0x00000058'. */
export function statusHex(status: number): string {
  return `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}

/** Statuses by which the SMSC says "not now, later": the submit is answered THROTTLED, to be retried. */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([ESME_STATUS.ESME_RTHROTTLED, ESME_STATUS.ESME_RMSGQFUL]);

/**
 * Why a submit did not get a message id. `retry`: whether the caller may send it again (on this or
 * another SMSC); REJECTED depends on the status and is the caller's call (`commandStatus`).
 */
export const SMPP_ERRORS = {
  LINK_DOWN: {
    retry: true,
    message: 'not bound to the SMSC, or the link dropped while the submit_sm was in the window (it may or may not have reached the SMSC)',
  },
  TIMEOUT: { retry: true, message: 'no submit_sm_resp within the response timeout (the SMSC may have the message)' },
  THROTTLED: { retry: true, message: 'the SMSC answered ESME_RTHROTTLED or ESME_RMSGQFUL' },
  REJECTED: { retry: undefined, message: 'the SMSC answered a non-zero command_status' },
  CLOSED: { retry: true, message: 'the client is closing or closed: the submit was not sent' },
} as const satisfies Record<string, { retry: boolean | undefined; message: string }>;

export type SmppErrorCode = keyof typeof SMPP_ERRORS;

export class SmppError extends Error {
  override readonly name = 'SmppError';
  constructor(
    readonly code: SmppErrorCode,
    message: string = SMPP_ERRORS[code].message,
    /** The SMSC's answer (REJECTED, THROTTLED), or the status the client applied itself (REJECTED before sending). */
    readonly commandStatus?: number,
    /**
     * Whether the submit_sm had been written to the socket. LINK_DOWN with `sent: false` (queued for a
     * window slot, or refused while unbound) never reached the SMSC; with `sent: true` it may have.
     */
    readonly sent: boolean = false,
  ) {
    super(message);
  }
}
