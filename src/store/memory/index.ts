import type { ConsentStore, CorrelationStore, IdempotencyStore, SubscriberStore, Throttle } from '../../core/ports.js';
import { MemoryConsent } from './consent.js';
import type { QueueOptions } from '../options.js';
import { MemoryCorrelations } from './correlations.js';
import { MemoryIdempotency } from './idempotency.js';
import type { MemoryLimits } from './limits.js';
import { MemorySubscribers } from './subscribers.js';
import { MemoryPortingTable } from './porting.js';
import type { PortingTable } from '../../core/portability.js';
import { MemoryQueue } from './queue.js';
import { MemoryThrottle } from './throttle.js';

export { MemoryIdempotency } from './idempotency.js';
export { MemoryQueue } from './queue.js';
export { MemoryThrottle } from './throttle.js';
export { DEFAULT_MEMORY_LIMITS, type MemoryLimits } from './limits.js';

/** The embedded store: one process, nothing survives a restart, bounded by `limits`. Queue and throttle share the clock. */
export function createMemoryStore(options: Partial<QueueOptions> & { limits?: Partial<MemoryLimits> } = {}): {
  queue: MemoryQueue;
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  idempotency: IdempotencyStore;
  porting: PortingTable;
  // -- issue 24 stores (consent, frequency, media, API keys): one line each
  consent: ConsentStore;
  backend: 'memory';
  durable: false;
} {
  const throttle = new MemoryThrottle(options.now ? { now: options.now } : {});
  return {
    queue: new MemoryQueue(options),
    throttle,
    subscribers: new MemorySubscribers(),
    correlations: new MemoryCorrelations(options.now),
    idempotency: new MemoryIdempotency(options.now),
    porting: new MemoryPortingTable(),
    // -- issue 24 stores (consent, frequency, media, API keys): one line each
    consent: new MemoryConsent(),
    backend: 'memory',
    durable: false,
  };
}
