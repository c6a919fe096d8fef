import { type RouteEntry, routeBy } from '../core/static-router.js';
import { isKeywordReply, type SmppEdge } from './edge.js';

/**
 * The routes toward SMSCs, for the gateway's route table (src/routes.ts): the texts the gateway writes
 * itself (STOP/START confirmations) go out by SMS, through the SMSC for the address (longest prefix). The
 * text fallback of an MMS is not an entry: the subscriber policy (text-only) and the MM1 notify route
 * (not retrieved in time) ask the edge's textRoute themselves.
 */
export function smppRoutes(edge: SmppEdge): RouteEntry[] {
  return [routeBy('smpp keyword replies', (m, i) => (isKeywordReply(m) ? edge.textRoute(m.recipients[i]?.address ?? '') : undefined))];
}
