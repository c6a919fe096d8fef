import type { CoreMessage } from '../core/message.js';
import type { StaticRouter } from '../core/static-router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { CallbackRoute } from './callback-route.js';
import { VaspRoute } from './vasp-route.js';

/**
 * The routes toward VASPs, added to the gateway's router:
 * - reports on messages a VASP submitted over MM7 -> DeliveryReportReq / ReadReplyReq to its URL;
 * - reports on its REST submissions with a callbackUrl -> a JSON POST there;
 * - messages to one of its short codes (its `senders`) -> DeliverReq to its URL.
 * A VASP without a URL gets no MM7 requests (its reports are logged and dropped, messages to it refused).
 */
export function addVaspRoutes(
  router: StaticRouter,
  o: { config: Config['mm7']; metrics: Metrics; log: Logger; guard: OutboundGuard },
): void {
  for (const vasp of o.config.vasps) {
    warnUnreachablePrefixes(vasp, o);
    const callbacks = new CallbackRoute(vasp, o);
    router.add((m) => m.report?.to.iface === 'rest' && m.report.to.peer === vasp.id && m.report.to.callbackUrl !== undefined, callbacks);
    if (vasp.url === undefined) continue;
    const route = new VaspRoute({ ...vasp, url: vasp.url }, o);
    router.add((m) => m.report?.to.iface === 'mm7' && m.report.to.peer === vasp.id, route);
    const shortCodes = new Set(vasp.senders);
    router.add((m: CoreMessage, i: number) => m.report === undefined && shortCodes.has(m.recipients[i]?.address ?? ''), route);
  }
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
