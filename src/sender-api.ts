// The composition of the sender's API (issue 24): the REST API's services and the marketing policy, built
// from the config and the store's ports. Kept out of gateway.ts, which wires the edges together; this is the
// one place that knows how the sender's API's parts fit (docs/sender-api.md).
import { marketingPolicy } from './core/marketing-policy.js';
import { PhoneTimeZones } from './core/phone-time-zones.js';
import type { ApiKeyActivity, FrequencyStore, IdempotencyStore, LeasedJob, MediaStore } from './core/ports.js';
import type { Route } from './core/router.js';
import type { SenderEvents } from './core/sender-events.js';
import type { ResolveDecision } from './core/worker-pool.js';
import type { Config } from './ops/config.js';
import { mediaApiConfig } from './ops/config-api.js';
import type { Logger } from './ops/logger.js';
import { marketingRulesOf } from './ops/marketing-rules.js';
import type { Metrics } from './ops/metrics.js';
import type { Reloader } from './ops/reload.js';
import { MediaHost } from './rest/media/service.js';
import type { RestServices } from './rest/services.js';
import type { OutboundGuard } from './transport/outbound-guard.js';
import { ApiKeyUsage } from './vasp/api-key-usage.js';

/**
 * The REST API's services: Idempotency-Key records, API keys' last use, the sender events, and media by URL
 * and uploads. `api.media` is read at start (a reload reports it as needing a restart); an account's
 * mediaUrlAllow comes with the account, so it follows mm7.vasps reloads. Every fetch goes through `guard`.
 */
export function senderApiServices(o: {
  config: Config;
  stores: { idempotency: IdempotencyStore; apiKeyActivity: ApiKeyActivity; media: MediaStore };
  events: SenderEvents;
  guard: OutboundGuard;
  metrics: Metrics;
  log: Logger;
}): RestServices {
  const mediaConfig = mediaApiConfig(o.config.api);
  const media = new MediaHost({
    store: o.stores.media,
    guard: o.guard,
    config: () => mediaConfig,
    metrics: o.metrics,
    log: o.log.child({ api: 'media' }),
  });
  return {
    api: o.config.api,
    idempotency: o.stores.idempotency,
    apiKeyUsage: new ApiKeyUsage({ activity: o.stores.apiKeyActivity, log: o.log.child({ component: 'api-keys' }), metrics: o.metrics }),
    events: o.events,
    media,
    mediaUploads: media,
  };
}

/**
 * Marketing frequency caps and quiet hours (docs/consent-frequency.md) as the worker pool's resolve step,
 * after the subscriber policy; the rules (consent.senders) follow a reload.
 */
export function marketingStep(o: {
  config: Config;
  frequency: FrequencyStore;
  metrics: Metrics;
  log: Logger;
  onReload: (reloader: Reloader) => void;
}): (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision> {
  let rules = marketingRulesOf(o.config.consent.senders);
  o.onReload({
    name: 'marketing caps and quiet hours',
    keys: ['consent.senders'],
    apply: (next) => {
      rules = marketingRulesOf(next.consent.senders);
      return ['marketing caps and quiet hours: rules reloaded'];
    },
  });
  return marketingPolicy({
    rulesFor: (sender) => rules(sender),
    frequency: o.frequency,
    zones: new PhoneTimeZones(),
    log: o.log.child({ component: 'marketing' }),
    observe: (action, reason) => (action === 'deferred' ? o.metrics.marketingDeferred : o.metrics.marketingRefused).inc({ reason }),
  });
}
