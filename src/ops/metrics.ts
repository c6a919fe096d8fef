import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStats, StoreUsage } from '../core/ports.js';
import { ContentMetrics } from './metrics-content.js';
import { FlowMetrics } from './metrics-flow.js';

/**
 * The one metrics module: every metric the gateway exports is declared here, with bounded label values
 * (interface names, routes and status classes from fixed sets; never addresses or message ids).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly opsRequests = new Counter({
    name: 'mmsc_ops_http_requests_total',
    help: 'Requests to the ops listener, by route and HTTP status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });

  /**
   * Settled delivery attempts by resulting state (delivered, rejected, failed, retrying, notified, expired,
   * deferred); `notified`: an MM1 notification pushed, the job waiting for the handset to fetch it.
   */
  readonly queueOutcomes = new Counter({
    name: 'mmsc_queue_outcomes_total',
    help: 'Delivery attempts settled by the workers of this instance, by peer (route peer id from the configuration) and resulting recipient state',
    labelNames: ['peer', 'state'] as const,
    registers: [this.registry],
  });

  /**
   * MM7 requests by operation (SubmitReq, CancelReq, ..., `unparsed` when the SOAP could not be read, `http`
   * when refused before SOAP) and answer: the MM7 status code, or the HTTP code for non-SOAP answers.
   */
  readonly mm7Requests = new Counter({
    name: 'mmsc_mm7_requests_total',
    help: 'MM7 requests received, by operation and answered status (MM7 StatusCode, or HTTP code when refused before SOAP)',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  });

  readonly mm7RequestBytes = new Counter({
    name: 'mmsc_mm7_request_bytes_total',
    help: 'Bytes of MM7 request bodies read',
    registers: [this.registry],
  });

  /** Requests with a body admitted on the MM7 listener (MM7 and REST) and not yet answered (src/mm7/admission.ts). */
  readonly mm7InFlightRequests = new Gauge({
    name: 'mmsc_mm7_in_flight_requests',
    help: 'Requests with a body being processed on the MM7 listener (MM7 and REST), all VASPs',
    registers: [this.registry],
  });

  /** Body bytes those requests hold against mm7.maxInFlightBodyBytes (declared lengths reserved whole). */
  readonly mm7InFlightBodyBytes = new Gauge({
    name: 'mmsc_mm7_in_flight_body_bytes',
    help: 'Request body bytes being received on the MM7 listener, against mm7.maxInFlightBodyBytes',
    registers: [this.registry],
  });

  /** REST API requests (POST /v1/messages = submit, GET /v1/messages/:id = status) by HTTP status code. */
  readonly restRequests = new Counter({
    name: 'mmsc_rest_requests_total',
    help: 'REST API requests, by operation (submit, status, list, cancel, media-upload, media, openapi, other) and HTTP status code',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  /**
   * REST requests authenticated by an API key (issue 24), by account and key name (both config names: bounded),
   * so that a rotation can see when the old key is no longer used.
   */
  readonly apiKeyRequests = new Counter({
    name: 'mmsc_rest_api_key_requests_total',
    help: 'REST API requests authenticated by an API key, by VASP id and key name',
    labelNames: ['vasp', 'key'] as const,
    registers: [this.registry],
  });

  /**
   * Requests this MMSC sends to VASPs (DeliverReq, DeliveryReportReq, ReadReplyReq) and REST callbacks, by
   * operation and outcome: the MM7 status code answered, the HTTP code for a callback, or `error` when the
   * peer could not be reached or its answer not read.
   */
  readonly outboundRequests = new Counter({
    name: 'mmsc_mm7_outbound_requests_total',
    help: 'Requests sent to VASPs (MM7 operations and REST callbacks), by operation and answered status (or error)',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  });

  /**
   * MM4 SMTP sessions (src/mm4/server.ts) by peer (a configured peer id, or `unknown`) and how they began:
   * `accepted`, `refused` (no peer allowed from that address), `over-cap` (the peer's connection cap).
   */
  readonly mm4Sessions = new Counter({
    name: 'mmsc_mm4_sessions_total',
    help: 'MM4 SMTP sessions opened to this instance, by peer and result (accepted, refused, over-cap)',
    labelNames: ['peer', 'result'] as const,
    registers: [this.registry],
  });

  /** MM4 SMTP commands answered by our hooks (AUTH, MAIL, RCPT, DATA), by reply code. */
  readonly mm4Commands = new Counter({
    name: 'mmsc_mm4_commands_total',
    help: 'MM4 SMTP commands answered, by command (AUTH, MAIL, RCPT, DATA) and SMTP reply code',
    labelNames: ['command', 'reply'] as const,
    registers: [this.registry],
  });

  /**
   * MM4 messages received (the DATA of a transaction), by peer, MM4 message type (`unparsed` when it could
   * not be read) and result: `accepted`, `duplicate` (a repeated X-Mms-Message-ID answered without storing
   * it again), or the refusal code of core/refusals.ts.
   */
  readonly mm4Messages = new Counter({
    name: 'mmsc_mm4_messages_total',
    help: 'MM4 messages received, by peer, MM4 message type and result (accepted or the refusal code)',
    labelNames: ['peer', 'type', 'result'] as const,
    registers: [this.registry],
  });

  /**
   * MM3 e-mail (src/mm3) by direction (`in` from the mail relays, `out` to the relay), kind (`message` or
   * `report`) and result: in, `accepted` or the refusal code of core/refusals.ts; out, the delivery outcome
   * (`delivered`, `retry`, `rejected`).
   */
  readonly mm3Messages = new Counter({
    name: 'mmsc_mm3_messages_total',
    help: 'MM3 e-mails received (in) and sent (out), by kind (message, report) and result',
    labelNames: ['direction', 'kind', 'result'] as const,
    registers: [this.registry],
  });

  /** MM3 SMTP sessions opened to this instance: `accepted`, or `refused` (not from an allowed relay). */
  readonly mm3Sessions = new Counter({
    name: 'mmsc_mm3_sessions_total',
    help: 'MM3 (e-mail) SMTP sessions opened to this instance, by result (accepted, refused)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /**
   * Seconds from a forward's SMTP hand-over to the peer's MM4_forward.RES (TS 23.140 §8.4.1.2), by peer: how
   * long forwards stay `notified` waiting for it. A RES nobody was waiting for is not observed.
   */
  readonly mm4ResLatency = new Histogram({
    name: 'mmsc_mm4_res_latency_seconds',
    help: 'Time from sending MM4_forward.REQ to receiving its MM4_forward.RES, by peer',
    labelNames: ['peer'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });

  /**
   * MM4 SMTP sessions that went over TLS (the handshake done), by peer (`unknown` until AUTH names it), how
   * (`starttls` RFC 3207, `implicit` RFC 8314) and the protocol version negotiated (TLSv1.2, TLSv1.3).
   */
  readonly mm4Tls = new Counter({
    name: 'mmsc_mm4_tls_sessions_total',
    help: 'MM4 SMTP sessions secured with TLS, by peer, mode (starttls, implicit) and TLS protocol version',
    labelNames: ['peer', 'mode', 'protocol'] as const,
    registers: [this.registry],
  });

  /** DATA bytes the MM4 listener holds (messages being received), against mm4.maxInFlightDataBytes. */
  readonly mm4DataBytes = new Gauge({
    name: 'mmsc_mm4_in_flight_data_bytes',
    help: 'DATA bytes held by the MM4 listener for messages being received, against mm4.maxInFlightDataBytes',
    registers: [this.registry],
  });

  /**
   * MM4 answers and reports received about our forwards (RES, delivery and read reports), by peer, MM4
   * message type and what they did: the state they ended the recipient in (delivered, rejected, expired,
   * failed), `read`/`deleted`, `noted` (history only: Deferred, Indeterminate...), `transient` (a RES error to
   * send again), `already-final`, or `unknown` (no forward of ours matches).
   */
  readonly mm4Correlated = new Counter({
    name: 'mmsc_mm4_correlated_total',
    help: 'MM4 RES and reports received about our forwards, by peer, MM4 message type and effect',
    labelNames: ['peer', 'type', 'result'] as const,
    registers: [this.registry],
  });

  /** MM4 messages sent (forwards, RES, reports), by peer, MM4 message type and outcome (delivered, waiting, retry, rejected). */
  readonly mm4Sent = new Counter({
    name: 'mmsc_mm4_sent_total',
    help: 'MM4 messages sent to peers, by peer, MM4 message type and outcome (delivered, waiting, retry, rejected)',
    labelNames: ['peer', 'type', 'result'] as const,
    registers: [this.registry],
  });

  /** SMPP PDUs by SMSC connection, command (submit_sm, deliver_sm, enquire_link, bind_*...), direction and command_status. */
  readonly smppPdus = new Counter({
    name: 'mmsc_smpp_pdus_total',
    help: 'SMPP PDUs sent (out) and received (in), by SMSC, command and command_status (hex)',
    labelNames: ['smsc', 'command', 'direction', 'status'] as const,
    registers: [this.registry],
  });

  readonly smppBound = new Gauge({
    name: 'mmsc_smpp_bound',
    help: '1 while the connection to the SMSC is bound, else 0',
    labelNames: ['smsc'] as const,
    registers: [this.registry],
  });

  readonly smppWindow = new Gauge({
    name: 'mmsc_smpp_window_in_flight',
    help: 'submit_sm sent to the SMSC and not yet answered',
    labelNames: ['smsc'] as const,
    registers: [this.registry],
  });

  /** MO short messages by what became of them (stop, start, routed, unrouted, binary, unreadable). */
  readonly smppMo = new Counter({
    name: 'mmsc_smpp_mo_total',
    help: 'MO short messages received over SMPP, by outcome (stop, start, help, confirm: a double opt-in YES, routed, unrouted, binary, unreadable; retry: not stored, the SMSC is asked to send it again)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** SMSC delivery receipts by state (DELIVRD, UNDELIV, ...) and whether they matched a message sent by us. */
  readonly smppReceipts = new Counter({
    name: 'mmsc_smpp_receipts_total',
    help: 'SMSC delivery receipts, by receipt state and whether they matched a submit of ours',
    labelNames: ['state', 'matched'] as const,
    registers: [this.registry],
  });

  /** MM1 requests by PDU (m-send-req, m-acknowledge-ind, ..., `retrieve`, `unparsed`) and answer (MMS status token or HTTP code). */
  readonly mm1Requests = new Counter({
    name: 'mmsc_mm1_requests_total',
    help: 'MM1 (handset) requests, by PDU type or retrieve, and answer (MMS status token, or HTTP code when refused before the PDU)',
    labelNames: ['pdu', 'status'] as const,
    registers: [this.registry],
  });

  readonly mm1Pushes = new Counter({
    name: 'mmsc_mm1_pushes_total',
    help: 'WAP pushes to handsets (notifications, delivery and read reports), by PDU type and result (sent, transient, permanent)',
    labelNames: ['pdu', 'result'] as const,
    registers: [this.registry],
  });

  readonly papRequests = new Counter({
    name: 'mmsc_pap_requests_total',
    help: 'PAP push submissions to the Push Proxy Gateway, by result (accepted, rejected: a PAP refusal code, error: no PAP answer)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly mm1Unroutable = new Counter({
    name: 'mmsc_mm1_unroutable_total',
    help: 'Handset submissions refused because a recipient has no route (e.g. another carrier before MM4), by address type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly mm1Fallbacks = new Counter({
    name: 'mmsc_mm1_fallbacks_total',
    help: 'Messages sent as a text SMS with a web-view link instead of MMS, by trigger (timeout, push-failed) and result',
    labelNames: ['trigger', 'result'] as const,
    registers: [this.registry],
  });

  readonly webViews = new Counter({
    name: 'mmsc_web_view_requests_total',
    help: 'Web view requests (the SMS fallback link), by kind (page, media) and HTTP status',
    labelNames: ['kind', 'code'] as const,
    registers: [this.registry],
  });

  readonly storeInfo = new Gauge({
    name: 'mmsc_store_info',
    help: 'The queue backend in use (1); durable: whether accepted messages survive a crash of the store (for Redis, appendonly as the server reports it; unknown until it connects)',
    labelNames: ['backend', 'durable'] as const,
    registers: [this.registry],
  });

  private usage: (() => StoreUsage) | undefined;

  /**
   * Set by the gateway when the store has limits of its own (the embedded store): its gauges are registered
   * then, so that a gateway on Redis exports none (a gauge without labels would read 0).
   */
  set storeUsage(usage: (() => StoreUsage) | undefined) {
    this.usage = usage;
    if (!usage) return;
    for (const [name, gauge] of this.storeGauges) if (!this.registry.getSingleMetric(name)) this.registry.registerMetric(gauge);
  }

  get storeUsage(): (() => StoreUsage) | undefined {
    return this.usage;
  }

  private readonly storeGauges = new Map<string, Gauge>();

  /** What the embedded store holds (messages; bytes, estimated) and its limits: one metric per unit. */
  readonly storeMessages = this.storeGauge('mmsc_store_messages', 'Messages the embedded store holds, at scrape time', (u) => u.messages);
  readonly storeBytes = this.storeGauge('mmsc_store_bytes', 'Bytes the embedded store holds (estimated), at scrape time', (u) => u.bytes);
  readonly storeMaxMessages = this.storeGauge(
    'mmsc_store_max_messages',
    'The embedded store limit queue.memoryMaxMessages: new messages over it are refused',
    (u) => u.maxMessages,
  );
  readonly storeMaxBytes = this.storeGauge(
    'mmsc_store_max_bytes',
    'The embedded store limit queue.memoryMaxBytes: new messages over it are refused',
    (u) => u.maxBytes,
  );

  /**
   * Number portability lookups (core/portability.ts) by outcome: cached, ported, none (not ported), and the
   * ones that fell back to the prefixes: error (a source failed), unknown-network, timeout. Counted per
   * event: a lookup whose first source failed counts `error` and what the next said; one that timed out
   * counts `timeout` and, later, what its sources said (the answer the cache keeps).
   */
  readonly portabilityLookups = new Counter({
    name: 'mmsc_portability_lookups_total',
    help: 'Number portability lookups, by outcome (cached, ported, none, error, unknown-network, timeout)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Sender's events (webhooks, issue 24) queued, by type (accepted, delivered, ...: SENDER_EVENT_TYPES). */
  readonly webhookEvents = new Counter({
    name: 'mmsc_webhook_events_total',
    help: 'Sender events queued for webhooks, by type (accepted, queued, notified, delivered, read, failed, ...)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  /**
   * Webhook POST attempts by outcome: delivered (2xx), retry (408, 429, 5xx, not reached), rejected (another
   * answer, or a URL the outbound guard refuses).
   */
  readonly webhookDeliveries = new Counter({
    name: 'mmsc_webhook_deliveries_total',
    help: 'Webhook POST attempts, by outcome (delivered, retry, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Marketing messages held back by the sender's policy (core/marketing-policy.ts, issue 24), per delivery
   * attempt: deferred by quiet hours or a frequency cap, refused by a cap (overCap refuse).
   */
  readonly marketingDeferred = new Counter({
    name: 'mmsc_marketing_deferred_total',
    help: "Marketing deliveries deferred by the sender's policy, by reason (quiet-hours, frequency-cap)",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly marketingRefused = new Counter({
    name: 'mmsc_marketing_refused_total',
    help: "Marketing deliveries refused by the sender's policy, by reason (frequency-cap)",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /**
   * Idempotency-Key claims of the sender's API (issue 24), by outcome: first (carried out), replayed (the
   * first answer again), conflict (422: another request under the key), in_progress (409), taken_over (the
   * first request died before it stored anything).
   */
  readonly restIdempotency = new Counter({
    name: 'mmsc_rest_idempotency_total',
    help: 'Idempotency-Key claims of the REST API, by outcome (first, replayed, conflict, in_progress, taken_over)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Media named by URL in the sender's API (src/rest/media/), by outcome: fetched (downloaded), cached (a fresh
   * copy reused without a request), revalidated (a 304: the copy reused, no body downloaded), or the failure's
   * reason (not-found, refused-address, http-error, no-content-length, too-large, timeout, too-many-redirects,
   * type-mismatch, type-not-allowed, unreachable, unknown-media-id).
   */
  readonly mediaFetches = new Counter({
    name: 'mmsc_media_fetches_total',
    help: 'Media URLs resolved for the sender API, by outcome (fetched, cached, revalidated, or the failure reason)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly mediaFetchBytes = new Counter({
    name: 'mmsc_media_fetch_bytes_total',
    help: 'Bytes of media bodies downloaded from media URLs',
    registers: [this.registry],
  });

  /** Issue 24, consent: marketing submissions refused for want of an opt-in, by the interface they came in by (mm7, rest). */
  readonly consentRefusals = new Counter({
    name: 'mmsc_consent_refusals_total',
    help: 'Marketing submissions refused because a recipient has not opted in to the sender (consent-required), by interface',
    labelNames: ['iface'] as const,
    registers: [this.registry],
  });

  /**
   * Per-peer queue depth and oldest-job age, dead letters, end-to-end latency, throttle waits, durability
   * (ops/metrics-flow.ts). `queueStats` feeds its dead-letter gauge.
   */
  readonly flow = new FlowMetrics(this.registry);

  /** Content validation, capabilities and adaptation (issue 25: ops/metrics-content.ts). */
  readonly content = new ContentMetrics(this.registry);

  /**
   * POST /v1/messages by body format (json, form) and outcome: accepted, scheduled, the refusal catalogue's
   * code, or error (issue 24: the sender's API).
   */
  readonly restSubmissions = new Counter({
    name: 'mmsc_rest_submissions_total',
    help: 'REST submissions (POST /v1/messages), by format (json, form) and outcome (accepted, scheduled, a refusal code, error)',
    labelNames: ['format', 'outcome'] as const,
    registers: [this.registry],
  });

  /** JSON recipients refused as numbers, by libphonenumber-js's reason (src/core/phone-number.ts). */
  readonly restNumberRefusals = new Counter({
    name: 'mmsc_rest_number_refusals_total',
    help: 'REST JSON submissions refused for a recipient number, by reason (INVALID_COUNTRY, TOO_SHORT, TOO_LONG, NOT_A_NUMBER, INVALID_LENGTH, INVALID_FOR_REGION)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Set by the gateway: where the dead-letter gauge reads its value at scrape time. */
  set queueStats(stats: (() => Promise<QueueStats>) | undefined) {
    this.flow.deadLetterCount = stats && (async () => (await stats()).dead);
  }

  /** A gauge of the embedded store, read at scrape time; absent with Redis (no storeUsage). */
  private storeGauge(name: string, help: string, pick: (u: StoreUsage) => number): Gauge {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [],
      collect: () => {
        const u = this.usage?.();
        if (u) gauge.set(pick(u));
      },
    });
    this.storeGauges.set(name, gauge);
    return gauge;
  }

  constructor() {
    this.registry.setDefaultLabels({ service: 'mmsc' });
    collectDefaultMetrics({ register: this.registry, prefix: 'mmsc_' });
    // prom-client's totals of these are gauges named `_total`, a suffix Prometheus keeps for counters
    // (promtool check metrics warns); the per-type gauges beside them stay: sum() of one is its total.
    for (const total of ['mmsc_nodejs_active_handles_total', 'mmsc_nodejs_active_requests_total', 'mmsc_nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(total);
    }
  }
}
