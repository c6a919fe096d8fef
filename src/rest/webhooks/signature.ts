import { createHmac } from 'node:crypto';

/** The header that signs a webhook: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`. */
export const SIGNATURE_HEADER = 'mmsc-signature';
/** The header that names the event (its body's eventId): a receiver may drop a copy by it before parsing. */
export const EVENT_ID_HEADER = 'mmsc-event-id';

/** HMAC-SHA256 of `${t}.${rawBody}` with one secret, in hex (docs/webhooks.md shows a receiver's check). */
export function signPayload(secret: string, t: number, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

/**
 * The Mmsc-Signature value for a body sent at `t` (unix seconds): one v1 per current secret, so that during
 * a rotation a receiver that knows either secret verifies it. The timestamp is signed with the body, so a
 * receiver can refuse an old request replayed (compare t with its clock).
 */
export function signatureHeader(secrets: readonly string[], t: number, rawBody: Buffer): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${signPayload(s, t, rawBody)}`)].join(',');
}
