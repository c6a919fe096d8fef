import { HOME_NETWORK } from '../core/portability.js';
import { type RouteEntry, routeWhen } from '../core/static-router.js';
import type { Mm1ReportRoute } from './report-route.js';
import type { NotifyRoute } from './notify-route.js';
import type { NumberPlan } from './numbers.js';

/**
 * The routes toward handsets, for the gateway's route table (src/routes.ts):
 * - reports on messages a handset sent -> m-delivery-ind / m-read-orig-ind pushed to it;
 * - messages to a local subscriber (any origin but SMPP: an MO text to a phone number is SMS business,
 *   not MMS) -> notification push, retrieval over MM1. Local is what number portability said when the
 *   message entered (Recipient.network: 'home' = ported in, even outside mm1.localPrefixes; another
 *   network = ported away, even inside them), else the prefixes.
 */
export function mm1Routes(o: { plan: NumberPlan; notify: NotifyRoute; reports: Mm1ReportRoute }): RouteEntry[] {
  return [
    routeWhen('mm1 reports to handsets', (m) => m.report?.to.iface === 'mm1', o.reports),
    routeWhen(
      'mm1 local subscribers',
      (m, i) => {
        const r = m.recipients[i];
        if (m.report !== undefined || m.origin.iface === 'smpp' || r?.type !== 'plmn') return false;
        return r.network === undefined ? o.plan.isLocal(r.address) : r.network === HOME_NETWORK && r.address.startsWith('+');
      },
      o.notify,
    ),
  ];
}
