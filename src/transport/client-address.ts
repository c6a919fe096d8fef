import type { IncomingMessage } from 'node:http';
import type { CidrList } from './ip-ranges.js';

/**
 * The address a request comes from: the connection's peer, or, when that peer is one of the reverse proxies
 * in `trusted`, the address it names in X-Forwarded-For. The header is read from its right end (each proxy
 * appends the address it received the request from), skipping the trusted proxies, and the first address
 * that is not one of them is the client: anything to its left was written by the client itself and proves
 * nothing. An empty `trusted` never reads the header. IPv4-mapped IPv6 (::ffff:a.b.c.d) is written as IPv4.
 */
export function clientAddress(req: IncomingMessage, trusted: CidrList): string {
  let address = plain(req.socket.remoteAddress ?? '');
  if (!trusted.has(address)) return address;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => plain(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i]!;
    if (!trusted.has(address)) return address;
  }
  return address;
}

function plain(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}
