/**
 * The mark of a delivery that went as the SMS fallback (a text with the web-view link) instead of as an MMS:
 * the delivery detail starts with it, wherever the fallback was taken (the MM1 notify route after a timeout
 * or a refused push, the subscriber policy for a text-only subscriber). The sender's events tell
 * `delivered_as_sms` from `delivered` by it: one constant, not the same prose matched in two places.
 */
export const SMS_FALLBACK = 'SMS fallback';

/** Whether a final delivery's detail says it went as the SMS fallback. */
export function viaSmsFallback(detail: string | undefined): boolean {
  return detail?.startsWith(SMS_FALLBACK) ?? false;
}
