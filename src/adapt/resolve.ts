import type { UaProfile } from '../../protocols/uaprof/model.js';
import { mm4Peer } from '../mm4/peer-options.js';
import type { ContentConfig, Mm4PeerConfig } from '../ops/config.js';
import { type RouteCap, uaprofConfig } from '../ops/config-content.js';
import type { Logger } from '../ops/logger.js';
import type { ContentMetrics } from '../ops/metrics-content.js';
import type { Capabilities, CapabilityResolver, CapabilitySource, HandsetHint, HandsetMemory, ProfileSource } from './capabilities.js';
import { type HandsetLimits, profileLimits } from './profile-caps.js';
import { UserAgentClasses } from './user-agent.js';

export interface CapabilityResolverOptions {
  content: Pick<ContentConfig, 'maxImageWidth' | 'maxImageHeight' | 'userAgents' | 'routes' | 'uaprof'>;
  /** The default handset's size and types: mm1.maxMessageBytes and mm1.contentTypes. */
  defaults: { maxMessageBytes: number; contentTypes: readonly string[] };
  /**
   * Caps of queue peers besides content.routes, by queue peer id: an MM4 peer's own out.maxMessageBytes
   * (mm4PeerCaps) is its route cap.
   */
  peerCaps?: ReadonlyMap<string, number>;
  /** UAProf documents by URL (src/adapt/uaprof.ts); unset, or content.uaprof.fetch false: none are read. */
  profiles?: ProfileSource | undefined;
  /** What subscribers' handsets said on MM1 (src/adapt/handset-memory.ts); unset: only the hint given counts. */
  memory?: HandsetMemory | undefined;
  metrics?: ContentMetrics | undefined;
  log?: Logger | undefined;
}

/** The route cap of each MM4 peer we send to: its out.maxMessageBytes, by its queue peer id (`mm4:<id>`). */
export function mm4PeerCaps(peers: readonly Mm4PeerConfig[]): Map<string, number> {
  const caps = new Map<string, number>();
  for (const p of peers) if (p.out) caps.set(mm4Peer(p.id), p.out.maxMessageBytes);
  return caps;
}

/** The limit fields, in the order they are merged. */
type LimitKey = Exclude<keyof HandsetLimits, 'textOnly'>;
const FIELDS: readonly LimitKey[] = ['maxMessageBytes', 'maxImageWidth', 'maxImageHeight', 'contentTypes', 'charsets', 'mmsVersions'];

/**
 * A recipient's capabilities in issue 25's order. The handset's own limits come from the first source that
 * knows, field by field: its UAProf (the profile URL of the hint given, else the one remembered for the
 * subscriber, looked up through the ProfileSource), else the first content.userAgents class its User-Agent
 * matches, else the default handset (mm1.maxMessageBytes, content.maxImageWidth/Height, mm1.contentTypes).
 * Then the route caps bound them: content.routes by peer (the queue peer id, or the id after its `iface:`, so
 * `peer-a` names `mm4:peer-a`) and the one with the longest number prefix the address starts with (equal ones: all), and an
 * MM4 peer's own maxMessageBytes (peerCaps). Each resolution counts its handset source in
 * metrics.content.capabilitySources, and `route` as well when a route cap lowered a limit.
 */
export class DefaultCapabilityResolver implements CapabilityResolver {
  private readonly userAgents: UserAgentClasses;
  private readonly defaults: HandsetLimits;
  private readonly fetchProfiles: boolean;

  constructor(private readonly o: CapabilityResolverOptions) {
    this.userAgents = new UserAgentClasses(o.content.userAgents);
    this.defaults = {
      maxMessageBytes: o.defaults.maxMessageBytes,
      maxImageWidth: o.content.maxImageWidth,
      maxImageHeight: o.content.maxImageHeight,
      contentTypes: o.defaults.contentTypes.map((t) => t.toLowerCase()),
    };
    this.fetchProfiles = o.profiles !== undefined && uaprofConfig(o.content).fetch;
  }

  async resolve(recipient: { address: string }, peer: string, hint?: HandsetHint): Promise<Capabilities> {
    const h = says(hint) ? hint : await this.remembered(recipient.address);
    const profile = h?.profileUrl !== undefined && this.fetchProfiles ? await this.profile(h.profileUrl) : undefined;
    const layers: Array<[CapabilitySource, HandsetLimits]> = [];
    if (profile) layers.push(['uaprof', profileLimits(profile)]);
    const ua = this.userAgents.limits(h?.userAgent);
    if (ua) layers.push(['user-agent', ua]);
    layers.push(['default', this.defaults]);
    const source = layers[0]![0];
    const merged: HandsetLimits = {};
    for (const key of FIELDS) {
      const from = layers.find(([, l]) => l[key] !== undefined);
      if (from) (merged as Record<LimitKey, unknown>)[key] = from[1][key];
    }
    const caps: Capabilities = {
      maxMessageBytes: merged.maxMessageBytes!,
      maxImageWidth: merged.maxImageWidth!,
      maxImageHeight: merged.maxImageHeight!,
      contentTypes: merged.contentTypes!,
      ...(merged.charsets ? { charsets: merged.charsets } : {}),
      ...(merged.mmsVersions ? { mmsVersions: merged.mmsVersions } : {}),
      ...(profile && !profile.hasMms ? { textOnly: true } : {}),
      source,
    };
    const capped = this.bound(caps, recipient.address, peer);
    this.o.metrics?.capabilitySources.inc({ source });
    if (capped.routeCapped) this.o.metrics?.capabilitySources.inc({ source: 'route' });
    return capped;
  }

  /** The route caps that apply to this recipient on this peer. */
  routeCaps(address: string, peer: string): Array<Pick<RouteCap, 'maxMessageBytes' | 'maxImageWidth' | 'maxImageHeight'>> {
    const caps: Array<Pick<RouteCap, 'maxMessageBytes' | 'maxImageWidth' | 'maxImageHeight'>> = [];
    const own = this.o.peerCaps?.get(peer);
    if (own !== undefined) caps.push({ maxMessageBytes: own });
    const digits = numberDigits(address);
    // Prefixed entries: only the longest prefix the number starts with counts (a range's own cap may be
    // larger than its country's); entries of equal length all count (one may also name the peer).
    let longest: RouteCap[] = [];
    let length = -1;
    for (const r of this.o.content.routes) {
      if (r.peer !== undefined && !peerMatches(r.peer, peer)) continue;
      if (r.prefix === undefined) {
        caps.push(r);
        continue;
      }
      const p = r.prefix.replace(/^\+/, '');
      if (digits === undefined || !digits.startsWith(p) || p.length < length) continue;
      if (p.length > length) longest = [];
      length = p.length;
      longest.push(r);
    }
    caps.push(...longest);
    return caps;
  }

  /** The handset's limits lowered to every route cap that applies; routeCapped when one of them lowered a limit. */
  private bound(c: Capabilities, address: string, peer: string): Capabilities {
    const out = { ...c };
    for (const r of this.routeCaps(address, peer)) {
      if (r.maxMessageBytes < out.maxMessageBytes) {
        out.maxMessageBytes = r.maxMessageBytes;
        out.routeCapped = true;
      }
      if (r.maxImageWidth !== undefined && r.maxImageWidth < out.maxImageWidth) {
        out.maxImageWidth = r.maxImageWidth;
        out.routeCapped = true;
      }
      if (r.maxImageHeight !== undefined && r.maxImageHeight < out.maxImageHeight) {
        out.maxImageHeight = r.maxImageHeight;
        out.routeCapped = true;
      }
    }
    return out;
  }

  /** The subscriber's remembered hint; a store failure leaves the User-Agent classes and the default to decide. */
  private async remembered(address: string): Promise<HandsetHint | undefined> {
    if (!this.o.memory) return undefined;
    try {
      return await this.o.memory.get(address);
    } catch (err) {
      this.o.log?.warn({ err }, 'handset hint unavailable: capabilities without it');
      return undefined;
    }
  }

  private async profile(url: string): Promise<UaProfile | undefined> {
    try {
      return await this.o.profiles!.lookup(url);
    } catch (err) {
      this.o.log?.warn({ err }, 'UAProf lookup failed: capabilities without it');
      return undefined;
    }
  }
}

/** A hint that says something (a profile URL or a User-Agent); one that says nothing leaves the remembered one. */
function says(h: HandsetHint | undefined): h is HandsetHint {
  return h !== undefined && (h.profileUrl !== undefined || h.userAgent !== undefined);
}

/** A route cap's peer names the queue peer itself, or the id after its interface (`peer-a` for `mm4:peer-a`). */
function peerMatches(capPeer: string, peer: string): boolean {
  return capPeer === peer || peer.slice(peer.indexOf(':') + 1) === capPeer;
}

/** The digits of a phone number address (+E.164 or digits), else undefined (an e-mail address has no prefix). */
function numberDigits(address: string): string | undefined {
  const d = address.startsWith('+') ? address.slice(1) : address;
  return /^\d+$/.test(d) ? d : undefined;
}
