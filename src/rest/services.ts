import type { Config } from '../ops/config.js';
import type { IdempotencyStore, Queue } from '../core/ports.js';
import type { SenderEvents } from '../core/sender-events.js';
import type { MediaService, MediaUploads } from './media/types.js';
import type { Intake } from '../core/intake.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import type { ApiKeyRecorder } from '../vasp/api-key-usage.js';

/**
 * What the sender's API (issue 24) needs beyond MM7's intake, passed by the composition root (gateway.ts)
 * through the MM7 listener to the REST API: one optional field per service, each its module's port, so that
 * a test builds the API with the services it exercises.
 */
export interface RestServices {
  /** The `api` section (src/ops/config-api.ts). */
  api?: Config['api'];
  /** Idempotency-Key records, shared by every instance. */
  idempotency?: IdempotencyStore;
  /** Sender events (webhooks): accepted, scheduled, queued ... (src/core/sender-events.ts). */
  events?: SenderEvents;
  /** Media by URL and uploads (src/rest/media/types.ts). */
  media?: MediaService;
  /** The clock (tests freeze it): sendAt against now, a stale Idempotency-Key record. Default Date.now. */
  now?: () => number;
  // -- one line per service: keep this list additive
  /** API keys' last-used times, told by the MM7 listener as a key authenticates a request (src/vasp/api-key-usage.ts). */
  apiKeyUsage?: ApiKeyRecorder;
  /** Uploads (POST /v1/media, GET /v1/media/:id): src/rest/media/service.ts MediaHost, the same object as `media`. */
  mediaUploads?: MediaUploads;
}

/** What the REST API and its routes are built with: the MM7 listener's config and intake, and the services. */
export interface RestApiOptions extends RestServices {
  config: Config['mm7'];
  queue: Queue;
  intake: Intake;
  metrics: Metrics;
  log: Logger;
  /** Checks a callbackUrl at submission: what can be refused without a lookup is refused here. */
  guard: OutboundGuard;
}
