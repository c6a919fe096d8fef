/**
 * Assigned numbers for WAP push over SMS, as data. Each table names the registry it comes from.
 */

/** WAP-230-WSP Appendix A Table 34, PDU type assignments: the two push types. */
export const WSP_PDU_TYPE = {
  /** Push (§8.2.4.1): the only type a connectionless push (a TID first) may carry. */
  PUSH: 0x06,
  /** ConfirmedPush (§8.2.4.1): connection-mode only, so never sent over SMS. */
  CONFIRMED_PUSH: 0x07,
} as const;

/** WAP-230-WSP Appendix A Table 39: the header field that names the push application. */
export const HEADER_X_WAP_APPLICATION_ID = 0x2f;

/**
 * WAP-259-WDP Appendix B, WDP port numbers (also IANA-registered).
 * A push to the handset goes to WAP_PUSH from WSP_CONNECTIONLESS (WAP-251-PushMessage §6.1).
 */
export const WDP_PORT = {
  /** 2948: WAP Push connectionless session service, client side (wap-push). */
  WAP_PUSH: 2948,
  /** 9200: WAP connectionless session service (wap-wsp). */
  WSP_CONNECTIONLESS: 9200,
} as const;

/**
 * WINA/OMNA Push Application ID registry, the well-known codes (App-assigned-code, WAP-230-WSP §8.4.2.54).
 * Code 0x04 addresses the MMS user agent: what an m-notification-ind push carries.
 */
export const PUSH_APPLICATION_IDS = [
  [0x00, 'x-wap-application:*'],
  [0x01, 'x-wap-application:push.sia'],
  [0x02, 'x-wap-application:wml.ua'],
  [0x03, 'x-wap-application:wta.ua'],
  [0x04, 'x-wap-application:mms.ua'],
  [0x05, 'x-wap-application:push.syncml'],
  [0x06, 'x-wap-application:loc.ua'],
  [0x07, 'x-wap-application:syncml.dm'],
  [0x08, 'x-wap-application:drm.ua'],
  [0x09, 'x-wap-application:emn.ua'],
  [0x0a, 'x-wap-application:wv.ua'],
] as const satisfies ReadonlyArray<readonly [number, string]>;

export type PushApplicationName = (typeof PUSH_APPLICATION_IDS)[number][1];

/** x-wap-application:mms.ua. */
export const APPLICATION_ID_MMS_UA = 0x04;

const NAME_BY_CODE = new Map<number, string>(PUSH_APPLICATION_IDS);
const CODE_BY_NAME = new Map<string, number>(PUSH_APPLICATION_IDS.map(([c, n]) => [n, c]));

/** The registry name of a well-known application id code, or undefined. */
export function applicationIdName(code: number): string | undefined {
  return NAME_BY_CODE.get(code);
}

/** The well-known code for an application id URI (case-insensitive), or undefined. */
export function applicationIdCode(name: string): number | undefined {
  return CODE_BY_NAME.get(name.toLowerCase());
}

/** SMPP v3.4 §5.2.12 esm_class bit 6: UDHI, the short message starts with a User Data Header. */
export const ESM_CLASS_UDHI = 0x40;
/** SMPP v3.4 §5.2.19 data_coding 0x04: octet unspecified (8-bit binary). */
export const DATA_CODING_BINARY = 0x04;
/** 3GPP TS 23.040 §9.2.3.16: TP-User-Data holds at most 140 octets (UDH included). */
export const MAX_USER_DATA_OCTETS = 140;
/** 3GPP TS 23.040 §9.2.3.24.1: the segment count is one octet. */
export const MAX_CONCAT_SEGMENTS = 255;
