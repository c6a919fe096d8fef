import type { RouteEntry } from './core/static-router.js';

/** Each edge's route entries (mm1Routes, vaspRoutes, smppRoutes); an edge that is off has none. */
export interface EdgeRoutes {
  smpp?: RouteEntry[];
  mm1?: RouteEntry[];
  mm7?: RouteEntry[];
  mm4?: RouteEntry[];
  /** MM3: reports to e-mail senders, then e-mail recipients (src/mm3/routes.ts). */
  mm3?: RouteEntry[];
}

/**
 * The gateway's route table: every edge's entries in precedence order, the first that answers wins
 * (StaticRouter). Most entries cannot overlap (a report goes to the interface its original came in by; a
 * message goes to an address), the order below decides where they can:
 *
 * 1. SMPP keyword replies (the STOP/START confirmations the gateway writes itself) go back by SMS, to
 *    whatever address the STOP came from, even one that is a VASP short code too (an MO source is kept as
 *    sent when it is no international number).
 * 2. MM1: reports to handsets, then local subscribers (mm1.localPrefixes): a number in the operator's own
 *    ranges is a handset's, even when a VASP lists it among its senders.
 * 3. MM7: per VASP in the order of mm7.vasps, REST callbacks, MM7 reports, then its short codes (of two
 *    VASPs claiming one short code, the first listed gets its messages).
 * 4. MM4: peer carriers by the longest prefix of their number ranges (mm4.peers[].prefixes): a carrier's
 *    range is what nothing above claims (a number of ours or a VASP's short code stays ours).
 * 5. MM3: reports on messages that came in by e-mail, then e-mail recipients (an address with "@" that
 *    nothing above claims: a VASP's e-mail sender is MM7's).
 *
 * Subscriber flags are not here: they decide after the table (core/subscriber-policy).
 */
export function routeTable(edges: EdgeRoutes): RouteEntry[] {
  return [...(edges.smpp ?? []), ...(edges.mm1 ?? []), ...(edges.mm7 ?? []), ...(edges.mm4 ?? []), ...(edges.mm3 ?? [])];
}
