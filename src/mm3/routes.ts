import type { RouteEntry } from '../core/static-router.js';
import { routeWhen } from '../core/static-router.js';
import type { Mm3RelayRoute } from './relay-route.js';

/**
 * MM3's lines of the route table (src/routes.ts): reports on messages that came in by e-mail go back to the
 * sender's mailbox, and messages (not reports) to an e-mail address go out as e-mail. Both through the relay.
 */
export function mm3Routes(relay: Mm3RelayRoute): RouteEntry[] {
  return [
    routeWhen('mm3 reports to e-mail senders', (m) => m.report?.to.iface === 'mm3', relay),
    routeWhen('mm3 e-mail recipients', (m, i) => m.report === undefined && m.recipients[i]?.type === 'email', relay),
  ];
}
