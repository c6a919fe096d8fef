import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses and CIDR ranges as numbers, and the special-purpose ranges an outbound request to a URL a
 * client chose must not reach. Own parsing rather than node:net BlockList: BlockList does match an
 * IPv4-mapped IPv6 address against IPv4 rules, but it cannot say which rule matched (the refusal must
 * give a reason) and knows nothing of the IPv4 address a NAT64 or 6to4 address carries.
 */
export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned 32-bit (family 4) or 128-bit (family 6) number. */
  value: bigint;
}

export interface IpRange {
  family: 4 | 6;
  /** The first address of the range (host bits zero). */
  base: bigint;
  prefix: number;
  /** As written in the table or the config. */
  text: string;
}

const BITS = { 4: 32, 6: 128 } as const;

/** IPv4-mapped IPv6 addresses, ::ffff:0:0/96 (RFC 4291 §2.5.5.2), written out: parseCidr needs it. */
export const MAPPED: IpRange = { family: 6, base: 0xffffn << 32n, prefix: 96, text: '::ffff:0:0/96' };

/**
 * A textual IPv4 (dotted quad, RFC 791) or IPv6 address (RFC 4291 §2.2, embedded dotted quad included;
 * a zone index `%eth0` is dropped) -> its number; undefined for anything else. Only the canonical
 * dotted-quad IPv4 form: the other numeric forms (2130706433, 0x7f000001, 0177.0.0.1, 127.1) are the
 * WHATWG URL parser's to normalise, and never reach here as names.
 */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(s)) return { family: 4, value: v4Value(s) };
  const bare = s.split('%')[0]!;
  if (!isIPv6(bare)) return undefined;
  return { family: 6, value: v6Value(bare) };
}

function v4Value(s: string): bigint {
  return s.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function v6Value(s: string): bigint {
  // A trailing dotted quad is the last two groups (::ffff:127.0.0.1).
  let text = s;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const v = Number(v4Value(quad[1]!));
    text = `${s.slice(0, -quad[1]!.length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (p: string | undefined) => (p ? p.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  // The longest run of two or more zero groups becomes :: (RFC 5952 §4.2).
  let best = 0;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = Math.max(j, i + 1);
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * `address/prefix` (or a single address) -> the range, or a message saying what is wrong with it. Host
 * bits must be zero: `10.1.2.3/24` is most likely a typo, and silently widening it would allow more than
 * the operator read. An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
 */
export function parseCidr(text: string): IpRange | string {
  const [addr, len, extra] = text.trim().split('/');
  const ip = parseIp(addr ?? '');
  if (!ip || extra !== undefined || addr!.includes('%')) return `${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR range`;
  const max = BITS[ip.family];
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return `${JSON.stringify(text)}: the prefix length must be a number`;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return `${JSON.stringify(text)}: the prefix length is over ${max}`;
  const hostBits = BigInt(max - prefix);
  if ((ip.value & ((1n << hostBits) - 1n)) !== 0n) {
    const base = formatIp({ family: ip.family, value: (ip.value >> hostBits) << hostBits });
    return `${JSON.stringify(text)} has host bits set (did you mean ${base}/${prefix}?)`;
  }
  if (ip.family === 6 && prefix >= 96 && inRange(ip, MAPPED)) {
    return { family: 4, base: ip.value & 0xffff_ffffn, prefix: prefix - 96, text };
  }
  return { family: ip.family, base: ip.value, prefix, text };
}

export function inRange(ip: IpAddress, range: IpRange): boolean {
  if (ip.family !== range.family) return false;
  const shift = BigInt(BITS[ip.family] - range.prefix);
  return ip.value >> shift === range.base >> shift;
}

/** parseCidr for an entry that must be one (the tables here; config entries already validated): else a RangeError, `what` first. */
export function cidr(text: string, what?: string): IpRange {
  const r = parseCidr(text);
  if (typeof r === 'string') throw new RangeError(what === undefined ? r : `${what} ${r}`);
  return r;
}

/** A range an outbound request to a client's URL may not reach unless the operator allows it. */
export interface SpecialRange {
  range: IpRange;
  what: string;
  /**
   * A cloud metadata service: hands out instance credentials. Allowed only by a range of that one address,
   * not by a wider one (allowing 169.254.0.0/16 for some link-local service must not open it).
   */
  metadata?: true;
}

const special = (text: string, what: string, metadata?: true): SpecialRange => ({
  range: cidr(text),
  what,
  ...(metadata ? { metadata } : {}),
});

/**
 * IPv4 ranges refused by default: the IANA IPv4 Special-Purpose Address Registry (RFC 6890) entries that
 * are not globally reachable, multicast and class E, and the metadata services. First match names the
 * reason, so the specific entries come before the ranges that contain them.
 */
export const FORBIDDEN_V4: readonly SpecialRange[] = [
  special('169.254.169.254/32', 'a cloud metadata service (AWS, GCP, Azure, OpenStack)', true),
  special('100.100.100.200/32', 'a cloud metadata service (Alibaba Cloud)', true),
  special('168.63.129.16/32', 'a cloud platform service (Azure WireServer)', true),
  special('0.0.0.0/8', '"this network" (0.0.0.0 reaches the local host; RFC 1122 §3.2.1.3)'),
  special('10.0.0.0/8', 'private (RFC 1918)'),
  special('100.64.0.0/10', 'shared address space, CGNAT (RFC 6598)'),
  special('127.0.0.0/8', 'loopback (RFC 1122)'),
  special('169.254.0.0/16', 'link-local (RFC 3927)'),
  special('172.16.0.0/12', 'private (RFC 1918)'),
  special('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'),
  special('192.0.2.0/24', 'documentation, TEST-NET-1 (RFC 5737)'),
  special('192.88.99.0/24', '6to4 relay anycast, deprecated (RFC 7526)'),
  special('192.168.0.0/16', 'private (RFC 1918)'),
  special('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  special('198.51.100.0/24', 'documentation, TEST-NET-2 (RFC 5737)'),
  special('203.0.113.0/24', 'documentation, TEST-NET-3 (RFC 5737)'),
  special('224.0.0.0/4', 'multicast (RFC 5771)'),
  special('255.255.255.255/32', 'limited broadcast (RFC 919)'),
  special('240.0.0.0/4', 'reserved, class E (RFC 1112)'),
];

/**
 * IPv6 ranges refused by default (IANA IPv6 Special-Purpose Address Registry, RFC 6890). Anything else
 * outside global unicast 2000::/3 is refused too (see {@link GLOBAL_UNICAST}); the IPv6 forms that carry
 * an IPv4 address are judged by that address (see {@link embeddedV4}).
 */
export const FORBIDDEN_V6: readonly SpecialRange[] = [
  special('fd00:ec2::254/128', 'a cloud metadata service (AWS, IPv6)', true),
  special('::/128', 'unspecified (RFC 4291 §2.5.2)'),
  special('::1/128', 'loopback (RFC 4291 §2.5.3)'),
  special('::/96', 'IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)'),
  special('::ffff:0:0:0/96', 'IPv4-translated (RFC 2765)'),
  special('64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'),
  special('100::/64', 'discard-only (RFC 6666)'),
  special('2001::/23', 'IETF protocol assignments: Teredo, benchmarking, ORCHID (RFC 2928)'),
  special('2001:db8::/32', 'documentation (RFC 3849)'),
  special('3fff::/20', 'documentation (RFC 9637)'),
  special('fc00::/7', 'unique local (RFC 4193)'),
  special('fe80::/10', 'link-local (RFC 4291 §2.5.6)'),
  special('fec0::/10', 'site-local, deprecated (RFC 3879)'),
  special('ff00::/8', 'multicast (RFC 4291 §2.7)'),
];

/** IANA's global unicast allocation: IPv6 outside it (and not an IPv4 carrier below) is not a public host. */
export const GLOBAL_UNICAST = cidr('2000::/3');

const NAT64 = cidr('64:ff9b::/96');
const SIX_TO_FOUR = cidr('2002::/16');

/**
 * The IPv4 address an IPv6 address stands for, and how:
 * - IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): on a dual-stack socket it *is* that IPv4 address;
 * - NAT64 64:ff9b::a.b.c.d (RFC 6052 §2.1): a translator forwards it to the IPv4 address in the low 32 bits;
 * - 6to4 2002:AABB:CCDD::/48 (RFC 3056 §2): routed to the IPv4 address in bits 16..47.
 */
export function embeddedV4(ip: IpAddress): { v4: IpAddress; via: 'IPv4-mapped' | 'NAT64' | '6to4' } | undefined {
  if (ip.family !== 6) return undefined;
  if (inRange(ip, MAPPED)) return { v4: { family: 4, value: ip.value & 0xffff_ffffn }, via: 'IPv4-mapped' };
  if (inRange(ip, NAT64)) return { v4: { family: 4, value: ip.value & 0xffff_ffffn }, via: 'NAT64' };
  if (inRange(ip, SIX_TO_FOUR)) return { v4: { family: 4, value: (ip.value >> 80n) & 0xffff_ffffn }, via: '6to4' };
  return undefined;
}

/**
 * A set of CIDR ranges that source addresses are checked against (`mm1.trustedProxies`). A dual-stack socket
 * reports an IPv4 peer as ::ffff:a.b.c.d: that form is the IPv4 address it maps, and matches IPv4 ranges.
 * Only the mapped form: a NAT64 or 6to4 source is another host. Entries must pass parseCidr (config
 * validation does that); one that does not is a RangeError.
 */
export class CidrList {
  private readonly ranges: readonly IpRange[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.map((e) => cidr(e));
  }

  /** Whether a socket's remote address is in the set; a zone id (fe80::1%eth0) is ignored, undefined is not in it. */
  has(address: string | undefined): boolean {
    const parsed = address === undefined ? undefined : parseIp(address);
    if (!parsed) return false;
    const embedded = embeddedV4(parsed);
    const ip = embedded?.via === 'IPv4-mapped' ? embedded.v4 : parsed;
    return this.ranges.some((r) => inRange(ip, r));
  }
}
