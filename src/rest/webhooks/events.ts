import type { CoreMessage } from '../../core/message.js';
import type { Queue } from '../../core/ports.js';
import { eventMessage } from '../../core/reports.js';
import type { Router } from '../../core/router.js';
import { hasSenderEvents } from '../../core/sender-event-map.js';
import type { SenderEvent, SenderEvents } from '../../core/sender-events.js';
import type { Logger } from '../../ops/logger.js';
import type { Metrics } from '../../ops/metrics.js';

export interface QueuedSenderEventsOptions {
  queue: Queue;
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** How long an event is tried (api.webhooks.retryForMs): its message expires this long after the event. */
  retryForMs: number;
}

/**
 * The sender events (SenderEvents port) as messages in the queue, one per event, to the route the router
 * gives the message (the REST callbacks of its account, peer `callback:<vasp>`): retried, throttled, kept
 * over a crash and dead-lettered like any other message. Its id is derived from (message, recipient, type)
 * (core/reports.ts eventMessageId): the same event emitted twice is one message, and one eventId on every
 * attempt. A message without a callbackUrl, or not from the sender's API, has none: nothing is queued.
 */
export class QueuedSenderEvents implements SenderEvents {
  constructor(private readonly o: QueuedSenderEventsOptions) {}

  async emit(message: CoreMessage, event: SenderEvent): Promise<void> {
    if (!hasSenderEvents(message)) return;
    const queued = eventMessage(message, event, this.o.retryForMs);
    if (!queued) return;
    const route = this.o.router.route(queued, 0);
    if (!route) {
      // The account is gone (removed by a reload): nobody to carry it to.
      this.o.log.info({ messageId: message.id, type: event.type, account: message.origin.peer }, 'sender event has no route; not sent');
      return;
    }
    await this.o.queue.enqueue(queued, [], [route.peer]);
    this.o.metrics.webhookEvents.inc({ type: event.type });
  }
}
