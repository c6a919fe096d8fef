import { isIP } from 'node:net';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { CidrList } from '../transport/ip-ranges.js';

/** Loopback: 127.0.0.0/8 (RFC 1122 §3.2.1.3) and ::1 (RFC 4291 §2.5.3); `localhost` as it names them. */
const LOOPBACK = new CidrList(['127.0.0.0/8', '::1/128']);

/**
 * Where the ops listener can be reached from, for its startup line: loopback only (the default: metrics and
 * the admin API are not for the world), or beyond. Bound beyond loopback in plain HTTP, the admin tokens
 * and the metrics cross the network in clear: warned at start, naming the keys.
 */
export function opsExposure(ops: Config['ops'], log: Logger): { note?: string } {
  const loopback = ops.host === 'localhost' || (isIP(ops.host) !== 0 && LOOPBACK.has(ops.host));
  if (loopback) return { note: '(loopback only)' };
  if (ops.tls === undefined)
    log.warn(
      { keys: ['ops.host', 'ops.tls'], host: ops.host },
      `the ops listener is bound to ${ops.host}, beyond loopback, without TLS: admin tokens and metrics travel in clear (set ops.tls, or bind ops.host to 127.0.0.1)`,
    );
  return {};
}
