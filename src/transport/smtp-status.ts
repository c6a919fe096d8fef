/**
 * SMTP reply codes (RFC 5321 §4.2.2, §4.2.3) the gateway answers with that are not a refusal of the
 * catalogue (src/core/refusals.ts, whose entries carry their own reply and RFC 3463 enhanced code): where the
 * command or the session state decides the reply, not the reason.
 */
export const SMTP_REPLY = {
  /** §3.8: the only refusal a server may give at the greeting besides 554; the connection is closed. */
  SERVICE_NOT_AVAILABLE: 421,
  /** RFC 4954 §6: temporary authentication failure (the client may try AUTH again later). */
  TEMPORARY_AUTH_FAILURE: 454,
  /** RFC 4954 §6: authentication credentials invalid. */
  AUTH_CREDENTIALS_INVALID: 535,
  /** §4.2.2: mailbox unavailable, here a domain this server does not take mail for (no relaying). */
  MAILBOX_UNAVAILABLE: 550,
} as const;
