import type { CoreMessage } from '../core/message.js';
import { type RouteEntry, routeWhen } from '../core/static-router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { CallbackRoute } from './callback-route.js';
import { VaspRoute } from './vasp-route.js';

/**
 * The routes toward VASPs, for the gateway's route table (src/routes.ts), in the order of mm7.vasps (of
 * two VASPs claiming one short code, the first listed gets its messages):
 * - the sender's events of its REST submissions with a callbackUrl -> a signed JSON POST there (webhooks);
 * - reports on messages a VASP submitted over MM7 -> DeliveryReportReq / ReadReplyReq to its URL;
 * - messages to one of its short codes (its `senders`) -> DeliverReq to its URL.
 * A VASP without a URL gets no MM7 requests (its reports are logged and dropped, messages to it refused).
 */
export function vaspRoutes(o: { config: Config['mm7']; metrics: Metrics; log: Logger; guard: OutboundGuard }): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const vasp of o.config.vasps) {
    warnUnreachablePrefixes(vasp, o);
    if (vasp.webhookSecrets === undefined)
      o.log.warn({ vasp: vasp.id, key: 'webhookSecrets' }, 'webhook events of this account are unsigned: set webhookSecrets to sign them');
    const callbacks = new CallbackRoute(vasp, o);
    entries.push(
      routeWhen(
        `mm7 ${vasp.id}: REST callbacks`,
        (m) => m.report?.to.iface === 'rest' && m.report.to.peer === vasp.id && m.report.to.callbackUrl !== undefined,
        callbacks,
      ),
    );
    if (vasp.url === undefined) continue;
    const route = new VaspRoute({ ...vasp, url: vasp.url }, o);
    entries.push(routeWhen(`mm7 ${vasp.id}: reports`, (m) => m.report?.to.iface === 'mm7' && m.report.to.peer === vasp.id, route));
    const shortCodes = new Set(vasp.senders);
    entries.push(
      routeWhen(
        `mm7 ${vasp.id}: short codes`,
        (m: CoreMessage, i: number) => m.report === undefined && shortCodes.has(m.recipients[i]?.address ?? ''),
        route,
      ),
    );
  }
  return entries;
}

/**
 * A callbackUrlPrefixes entry whose host is an address the outbound guard refuses (an operator's own
 * callback receiver at http://10.1.2.3/, say) would refuse every callback under it: said at start, since
 * the fix is an `outbound.allow` range, not the prefix.
 */
function warnUnreachablePrefixes(vasp: VaspConfig, o: { log: Logger; guard: OutboundGuard }): void {
  for (const prefix of vasp.callbackUrlPrefixes ?? []) {
    try {
      o.guard.checkUrl(prefix);
    } catch (err) {
      o.log.warn(
        { vasp: vasp.id, key: 'callbackUrlPrefixes', prefix, detail: (err as Error).message },
        'callback prefix names an address the outbound guard refuses: add an outbound.allow range to reach it',
      );
    }
  }
}
