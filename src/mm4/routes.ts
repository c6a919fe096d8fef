import type { CoreMessage } from '../core/message.js';
import { HOME_NETWORK } from '../core/portability.js';
import { type RouteEntry, routeBy } from '../core/static-router.js';
import type { Mm4PeerOutbound } from './peer-options.js';
import { Mm4PeerRoute, type Mm4RouteDeps } from './peer-route.js';

/** A route-table line for one MM4 peer, with its route (the composition root closes its pool on shutdown). */
export interface Mm4RouteEntry extends RouteEntry {
  readonly peerRoute: Mm4PeerRoute;
}

/**
 * The routes toward peer carriers, for the gateway's route table (src/routes.ts): a message (not a report)
 * to a +E.164 number goes to the peer with the longest prefix matching it (`+3161` beats `+316`), whatever
 * the order of `peers`; of two peers listing the same prefix, the first listed. One entry per peer, named
 * `mm4 <id>`; each answers only for the numbers whose longest match is its own. Number portability comes
 * first (Recipient.network, recorded when the message entered): a number ported to a peer goes to that
 * peer whatever its prefix; one ported to us ('home') to no peer; a network no peer here has, by prefix.
 * A forward a peer sent us never goes back to that peer: when its portability data and ours disagree (it
 * says the number is ours, we say it is its), the recipient has no route and the peer's forward is refused,
 * instead of the two MMSCs passing it back and forth.
 */
export function mm4Routes(peers: readonly Mm4PeerOutbound[], deps: Mm4RouteDeps): Mm4RouteEntry[] {
  const table = prefixTable(peers);
  const ids = peers.map((p) => p.id);
  return peers.map((p, i) => {
    const peerRoute = new Mm4PeerRoute(p, deps);
    const entry = routeBy(`mm4 ${p.id}`, (m: CoreMessage, r: number) => (peerFor(table, ids, m, r) === i ? peerRoute : undefined));
    return { ...entry, peerRoute };
  });
}

/**
 * The routes of what we send a peer besides forwards, before the peers' own entries: reports on messages
 * that peer forwarded to us (`m.report.to` is its origin) and the RES we owe it (`m.ack.to`), each through
 * that peer's route (its pool, throttle and `out` settings). A peer without `out` has no route here: its
 * reports and RES are not queued (logged where they are made).
 */
export function mm4ReplyRoutes(entries: readonly Mm4RouteEntry[]): RouteEntry[] {
  const byPeer = new Map(entries.map((e) => [e.peerRoute.options.id, e.peerRoute]));
  return [
    routeBy('mm4 reports', (m) => (m.report?.to.iface === 'mm4' ? byPeer.get(m.report.to.peer) : undefined)),
    routeBy('mm4 responses', (m) => (m.ack?.to.iface === 'mm4' ? byPeer.get(m.ack.to.peer) : undefined)),
  ];
}

/** (prefix, index of its peer), longest prefix first. */
function prefixTable(peers: readonly Mm4PeerOutbound[]): Array<{ prefix: string; peer: number }> {
  const rows = peers.flatMap((p, peer) => p.prefixes.map((prefix) => ({ prefix, peer })));
  // Stable sort: among equal lengths the order of `peers` (and of each peer's prefixes) stays.
  return rows.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The index of the peer recipient r goes to, if any. */
function peerFor(
  table: ReadonlyArray<{ prefix: string; peer: number }>,
  ids: readonly string[],
  m: CoreMessage,
  r: number,
): number | undefined {
  if (m.report !== undefined || m.ack !== undefined) return undefined;
  const rcpt = m.recipients[r];
  if (rcpt?.type !== 'plmn' || rcpt.network === HOME_NETWORK) return undefined;
  // Ported to a peer we have: that one (the first listed with its id); else the longest prefix.
  const ported = rcpt.network === undefined ? -1 : ids.indexOf(rcpt.network);
  const peer = ported >= 0 ? ported : table.find((row) => rcpt.address.startsWith(row.prefix))?.peer;
  if (peer !== undefined && m.origin.iface === 'mm4' && ids[peer] === m.origin.peer) return undefined;
  return peer;
}
