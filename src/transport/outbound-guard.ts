import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  cidr,
  embeddedV4,
  FORBIDDEN_V4,
  FORBIDDEN_V6,
  formatIp,
  GLOBAL_UNICAST,
  inRange,
  parseIp,
  type IpAddress,
  type IpRange,
  type SpecialRange,
} from './ip-ranges.js';

/** One answer of a name lookup. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Host name -> every address it has now (the default asks the system resolver, /etc/hosts included). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const lookupAll = promisify(dnsLookup);
const systemResolver: Resolver = async (host) =>
  (await lookupAll(host, { all: true })).map((a: LookupAddress) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** What is wrong with a URL the gateway was asked to reach; `message` says it in words a client can act on. */
export type RefusalKind = 'form' | 'scheme' | 'userinfo' | 'prefix' | 'address';

/** A URL or an address the guard refuses: permanent (asking again gives the same answer). */
export class OutboundRefusal extends Error {
  override readonly name = 'OutboundRefusal';
  readonly code = 'OUTBOUND_REFUSED';
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}

/** A URL checked and its host resolved once: connect to `addresses`, through `lookup` and `agent`, only. */
export interface PinnedTarget {
  url: URL;
  /** Every address the host had, each one checked; a literal IP host is its own one address. */
  addresses: readonly ResolvedAddress[];
  /** For http.request / net.connect: answers `addresses` for the URL's host and never asks DNS again. */
  lookup: LookupFunction;
  /** A keep-alive agent (by the URL's scheme) whose pooled sockets are kept apart by pinned addresses. */
  agent: HttpAgent;
}

export interface OutboundGuardOptions {
  /** Ranges (CIDR, or single addresses) the operator allows although refused by default: `outbound.allow`. */
  allow?: readonly string[];
  /** Host name lookup; tests pass a stub. */
  resolve?: Resolver;
}

/**
 * The one check of every request the gateway makes to a URL a client chose (REST callbacks today; media
 * and UAProf fetches later), against server-side request forgery: the gateway sits inside the operator's
 * network, so a client must not make it reach what only the inside can.
 * - The URL: http: or https: only, no user info, and under one of the account's prefixes when it has
 *   some, compared as parsed scheme, host, port and whole path segments (never as strings:
 *   `http://vasp2.example@127.0.0.1/` and `http://vasp2.example.attacker.test/` do not start with the
 *   host `vasp2.example`).
 * - The address: by default only public unicast. Loopback, private, link-local, CGNAT, multicast,
 *   broadcast, unspecified, reserved, documentation and benchmarking ranges and the cloud metadata
 *   services are refused, for IPv4 and IPv6, and an IPv6 address that carries an IPv4 one (mapped,
 *   NAT64, 6to4) is judged by that IPv4 address. Numeric host forms (2130706433, 0x7f000001,
 *   0177.0.0.1, 127.1) are normalised to dotted quads by the WHATWG URL parser before they get here.
 *   The operator opens ranges with `allow`.
 * - No DNS rebinding: `pin` resolves a host name once, checks every answer, and the connection goes
 *   through a lookup that answers those addresses only; a literal address is checked as it is.
 * Redirects are the caller's to pin like the first URL (httpPost does).
 */
export class OutboundGuard {
  private readonly allow: readonly IpRange[];
  private readonly resolve: Resolver;

  constructor(o: OutboundGuardOptions = {}) {
    this.allow = (o.allow ?? []).map((text) => cidr(text, 'outbound allow range'));
    this.resolve = o.resolve ?? systemResolver;
  }

  /**
   * A guard that also allows `extra` ranges (an account's own, e.g. mm7.vasps[].mediaUrlAllow) besides this
   * one's, with the same resolver; the metadata rule holds for them too (a metadata address only by its /32).
   */
  withAllow(extra: readonly string[]): OutboundGuard {
    if (extra.length === 0) return this;
    return new OutboundGuard({ allow: [...this.allow.map((r) => r.text), ...extra], resolve: this.resolve });
  }

  /** Why the gateway may not connect to this address (a reason for a log or a client), or undefined if it may. */
  refusal(address: string): string | undefined {
    const ip = parseIp(address);
    if (!ip) return `${JSON.stringify(address)} is not an IP address`;
    return this.judge(ip);
  }

  private judge(ip: IpAddress): string | undefined {
    const carried = embeddedV4(ip);
    if (carried) {
      // The packets reach the IPv4 address carried: it must pass as that one, whatever allow range covers
      // the IPv6 form (an operator's ::/0 must not open 169.254.169.254 through a NAT64 gateway). A
      // mapped address *is* that IPv4 address on the wire, so it is judged as that one only.
      const why = this.judge(carried.v4);
      if (why) return `${formatIp(ip)} is ${carried.via}: ${why}`;
      if (carried.via === 'IPv4-mapped') return undefined;
    }
    const forbidden = (ip.family === 4 ? FORBIDDEN_V4 : FORBIDDEN_V6).find((s) => inRange(ip, s.range));
    if (this.allows(ip, forbidden)) return undefined;
    if (forbidden) return `${formatIp(ip)} is ${forbidden.what}`;
    if (carried) return undefined; // NAT64 or 6to4 to a public IPv4 address
    if (ip.family === 6 && !inRange(ip, GLOBAL_UNICAST)) return `${formatIp(ip)} is not global unicast (outside ${GLOBAL_UNICAST.text})`;
    return undefined;
  }

  /** An allow range lifts a refusal; a metadata service only by a range of that one address. */
  private allows(ip: IpAddress, forbidden: SpecialRange | undefined): boolean {
    return this.allow.some((r) => inRange(ip, r) && (!forbidden?.metadata || r.prefix === forbidden.range.prefix));
  }

  /**
   * The checks that need no lookup: the URL's form, scheme, user info, the account's prefixes, and a
   * literal address (or a name in the special-use `localhost.` domain, which is loopback by RFC 6761
   * §6.3). Throws OutboundRefusal; answers the parsed URL. A host name passes here and is checked by
   * `pin` when the request is made, since its answers can change in between.
   */
  checkUrl(target: string | URL, prefixes?: readonly string[]): URL {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new OutboundRefusal('form', `${clip(String(target))} is not an absolute URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundRefusal('scheme', `${url.protocol} URLs are not allowed (http: or https: only)`);
    if (url.username !== '' || url.password !== '')
      throw new OutboundRefusal('userinfo', 'a URL with user info (user@ or user:password@ before the host) is not allowed');
    if (prefixes && !prefixes.some((p) => underPrefix(url, p)))
      throw new OutboundRefusal('prefix', `${clip(url.href)} is not under an allowed prefix of this account`);
    const literal = parseIp(url.hostname);
    if (literal) {
      const why = this.judge(literal);
      if (why) throw new OutboundRefusal('address', why);
    } else if (isLocalhost(url.hostname)) {
      // Refused unless one of its loopback addresses is allowed; `pin` checks what it really resolves to.
      const why = this.refusal('127.0.0.1') && this.refusal('::1');
      if (why) throw new OutboundRefusal('address', `${url.hostname} is loopback (RFC 6761 §6.3)`);
    }
    return url;
  }

  /**
   * `checkUrl`, then the host resolved once and every answer checked (a name with any forbidden answer is
   * refused: pick-the-good-one would make the result depend on answer order). Throws OutboundRefusal, or
   * the resolver's error for a name that does not resolve now (transient: DNS may answer later).
   */
  async pin(target: string | URL, prefixes?: readonly string[]): Promise<PinnedTarget> {
    const url = this.checkUrl(target, prefixes);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = parseIp(host);
    let addresses: ResolvedAddress[];
    if (literal) addresses = [{ address: host, family: literal.family }];
    else {
      const answers = await this.resolve(host);
      if (answers.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
      addresses = answers.map((a) => {
        const ip = parseIp(a.address);
        const why = ip ? this.judge(ip) : `${JSON.stringify(a.address)} is not an IP address`;
        if (why) throw new OutboundRefusal('address', `${host} resolves to ${why}`);
        return { address: a.address, family: ip!.family };
      });
    }
    const lookup = pinnedLookup(host, addresses);
    return { url, addresses, lookup, agent: url.protocol === 'https:' ? pinnedAgents.https : pinnedAgents.http };
  }
}

/** Whether `url` is under `prefix`: same scheme, host and port, and the prefix's path as whole segments. */
function underPrefix(url: URL, prefix: string): boolean {
  let p: URL;
  try {
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (url.protocol !== p.protocol || url.hostname !== p.hostname || url.port !== p.port) return false;
  const base = p.pathname.replace(/\/$/, '');
  return url.pathname === base || url.pathname.startsWith(`${base}/`);
}

function isLocalhost(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** A client's text cut to 200 characters for an error message or a log line. */
export const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}...` : s);

/** The pinned addresses of each lookup function handed out: the agents pool sockets by them. */
const PINS = new WeakMap<LookupFunction, string>();

function pinnedLookup(host: string, addresses: readonly ResolvedAddress[]): LookupFunction {
  const lookup: LookupFunction = (name, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const fit = addresses.filter((a) => family === 0 || a.family === family);
    process.nextTick(() => {
      if (name !== host || fit.length === 0) {
        const err: NodeJS.ErrnoException = Object.assign(new Error(`pinned lookup of ${host} asked for ${name} (family ${family})`), {
          code: 'ENOTFOUND',
        });
        return callback(err, '', 0);
      }
      if (options.all)
        return callback(
          null,
          fit.map((a) => ({ address: a.address, family: a.family })),
        );
      callback(null, fit[0]!.address, fit[0]!.family);
    });
  };
  PINS.set(lookup, addresses.map((a) => a.address).join(','));
  return lookup;
}

const pinKey = (lookup: LookupFunction | undefined) => (lookup && PINS.get(lookup)) ?? '';

/**
 * Keep-alive agents like Node's global ones, except that a pooled socket is reused only for the same
 * pinned addresses: a socket opened for an earlier answer of a name is not reused for a later one.
 */
class PinnedHttpAgent extends HttpAgent {
  override getName(options?: ClientRequestArgs): string {
    return `${super.getName(options)}|${pinKey(options?.lookup)}`;
  }
}

class PinnedHttpsAgent extends HttpsAgent {
  override getName(options?: HttpsRequestOptions): string {
    return `${super.getName(options)}|${pinKey(options?.lookup)}`;
  }
}

const AGENT_OPTIONS = { keepAlive: true, scheduling: 'lifo', timeout: 5000 } as const;
const pinnedAgents = { http: new PinnedHttpAgent(AGENT_OPTIONS), https: new PinnedHttpsAgent(AGENT_OPTIONS) };
