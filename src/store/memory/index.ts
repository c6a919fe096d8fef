import type { ApiKeyActivity } from '../../core/ports.js';
import { MemoryApiKeyActivity } from './api-key-activity.js';
import type { CorrelationStore, FrequencyStore, IdempotencyStore, SubscriberStore, Throttle } from '../../core/ports.js';
import type { ConsentStore } from '../../core/ports.js';
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
import { MemoryFrequency } from './frequency.js';
import { MemoryMediaStore } from './media.js';
import type { MediaStore } from '../../core/ports.js';

export { MemoryIdempotency } from './idempotency.js';
export { MemoryQueue } from './queue.js';
export { MemoryThrottle } from './throttle.js';
export { MemoryMediaStore } from './media.js';
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
  apiKeyActivity: ApiKeyActivity;
  frequency: FrequencyStore;
  media: MediaStore;
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
    apiKeyActivity: new MemoryApiKeyActivity(),
    frequency: new MemoryFrequency(options.now),
    media: new MemoryMediaStore(options.now),
    consent: new MemoryConsent(),
    backend: 'memory',
    durable: false,
  };
}
