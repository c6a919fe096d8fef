import type { Queue } from '../../core/ports.js';
import { deadLetterRoutes } from './dead-letters.js';
import { messageRoutes } from './messages.js';
import type { AdminRoute } from './types.js';
import { versionRoutes } from './version.js';

export type { AdminRoute } from './types.js';

/** The admin API's routes on the queue and the build (peers and reload add theirs beside: OpsServer.addRoutes). */
export function coreAdminRoutes(o: { queue: Queue; startedAt: number; instance?: string }): AdminRoute[] {
  return [...messageRoutes(o.queue), ...deadLetterRoutes(o.queue), ...versionRoutes(o.startedAt, o.instance)];
}
