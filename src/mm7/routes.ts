import type { CoreMessage } from '../core/message.js';
import type { StaticRouter } from '../core/static-router.js';
import type { Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { CallbackRoute } from './callback-route.js';
import { VaspRoute } from './vasp-route.js';

/**
 * The routes toward VASPs, added to the gateway's router:
 * - reports on messages a VASP submitted over MM7 -> DeliveryReportReq / ReadReplyReq to its URL;
 * - reports on its REST submissions with a callbackUrl -> a JSON POST there;
 * - messages to one of its short codes (its `senders`) -> DeliverReq to its URL.
 * A VASP without a URL gets no MM7 requests (its reports are logged and dropped, messages to it refused).
 */
export function addVaspRoutes(router: StaticRouter, o: { config: Config['mm7']; metrics: Metrics; log: Logger }): void {
  for (const vasp of o.config.vasps) {
    const callbacks = new CallbackRoute(vasp, o);
    router.add((m) => m.report?.to.iface === 'rest' && m.report.to.peer === vasp.id && m.report.to.callbackUrl !== undefined, callbacks);
    if (vasp.url === undefined) continue;
    const route = new VaspRoute({ ...vasp, url: vasp.url }, o);
    router.add((m) => m.report?.to.iface === 'mm7' && m.report.to.peer === vasp.id, route);
    const shortCodes = new Set(vasp.senders);
    router.add((m: CoreMessage, i: number) => m.report === undefined && shortCodes.has(m.recipients[i]?.address ?? ''), route);
  }
}
