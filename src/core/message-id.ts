import { randomBytes } from 'node:crypto';

/**
 * A gateway-wide unique Message-ID: the acceptance time (base 36, so ids sort roughly by age in logs) and
 * 64 random bits, so that instances need no coordination. Only [0-9a-z-]: safe in URLs, SOAP, headers
 * and Redis keys.
 */
export function newMessageId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(8).toString('hex')}`;
}
