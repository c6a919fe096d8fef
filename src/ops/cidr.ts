import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * An IPv4 or IPv6 block in CIDR notation ("10.0.0.0/8", "2001:db8::/32"), or one address ("192.0.2.7" =
 * /32, "::1" = /128); a string saying what is wrong when it is none (for config errors).
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return `"${text}" is not an IPv4 or IPv6 address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)`;
  const max = v === 4 ? 32 : 128;
  const bits = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${text}": the prefix length must be 0-${max}`;
  return { address, prefix: Number(bits), family: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * A set of CIDR blocks that source addresses are checked against (node:net BlockList, which also matches an
 * IPv4 block against the IPv4-mapped IPv6 form ::ffff:a.b.c.d that a dual-stack socket reports, and the
 * reverse). Entries must have passed parseCidr (config validation does that).
 */
export class CidrList {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const c = parseCidr(e);
      if (typeof c === 'string') throw new RangeError(c);
      this.list.addSubnet(c.address, c.prefix, c.family);
    }
  }

  /** Whether a socket's remote address is in the set; a zone id (fe80::1%eth0) is ignored, undefined is not in it. */
  has(address: string | undefined): boolean {
    if (address === undefined) return false;
    const bare = address.replace(/%.*$/, '');
    const v = isIP(bare);
    return v !== 0 && this.list.check(bare, v === 4 ? 'ipv4' : 'ipv6');
  }
}
