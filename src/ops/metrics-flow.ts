import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CoreMessage, Origin } from '../core/message.js';

/**
 * One peer's share of the queue as the store reports it at scrape time, shaped as Queue.peerStats answers
 * (so that the gateway passes it as is): jobs waiting (due, scheduled later, notified) and being delivered
 * (a live lease), and how long its earliest due job has been due (ms; 0 or undefined when none is due).
 */
export interface PeerQueueFigures {
  peer: string;
  waiting: number;
  leased: number;
  oldestDueMs: number | undefined;
}

/**
 * Seconds from submission to a recipient's final state. MMS to handsets that are off take hours (the message
 * waits for the handset until its expiry, a few days by default), so the buckets reach three days.
 */
const END_TO_END_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 72 * 3600];

/** Seconds the throttle schedules a granted slot ahead, to spread a peer's traffic at its rate. */
const THROTTLE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Throttle keys name the sender for inbound limits (core/intake.ts throttleKey): `mm1-sub:<msisdn>` is a
 * phone number, which must never become a label value. Those collapse to their prefix; every other key is
 * a peer id from the configuration (vasp:x, smsc:x, mm4:x, mm7-in:x...), a bounded set.
 */
const PER_SUBSCRIBER_PREFIXES = ['mm1-sub:'];

/**
 * The sender of a message as a label: a handset's origin peer is its phone number, so every handset counts as
 * `subscriber`; the others are ids from the configuration (VASP, MM4 peer, SMSC, `relay` for MM3).
 */
export function originLabel(origin: Origin): string {
  return origin.iface === 'mm1' ? 'subscriber' : origin.peer;
}

export function throttleLabel(key: string): string {
  const prefix = PER_SUBSCRIBER_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? prefix.slice(0, -1) : key;
}

/**
 * The metrics operators of Kannel, Postfix and Jasmin watch: per-peer queue depth and the age of the oldest
 * job (Postfix `qshape`, Kannel's per-SMSC queue), dead letters, throttle waits, per-peer outcomes, the time
 * from submission to a final state, delivery reports pending, and whether the store is durable. Declared on
 * the gateway's one registry (ops/metrics.ts); the values read at scrape time come from functions the
 * composition root sets, so that this module knows no store.
 */
export class FlowMetrics {
  /** Per-peer queue figures (Queue.peerStats); unset: the per-peer gauges are not exported. */
  peerStats: (() => Promise<PeerQueueFigures[]>) | undefined;
  /** The number of dead letters (Queue.stats().dead). */
  deadLetterCount: (() => Promise<number>) | undefined;
  private pendingReports: (() => Promise<number>) | undefined;

  /**
   * Recipients whose final state is still to come from outside (notified: awaiting the handset's fetch, a
   * peer's MM4 report, an SMSC receipt). The gauge is registered when this is set: unset, it is not exported
   * (a gauge without labels would read 0).
   */
  set reportsPending(count: (() => Promise<number>) | undefined) {
    this.pendingReports = count;
    if (count && !this.registry.getSingleMetric('mmsc_delivery_reports_pending')) this.registry.registerMetric(this.reportsPendingGauge);
  }

  get reportsPending(): (() => Promise<number>) | undefined {
    return this.pendingReports;
  }
  /** The store's backend and Store.durable: true, false, or undefined when not known yet (Redis not connected, or it would not say). */
  storeDurable: (() => { backend: string; durable: boolean | undefined }) | undefined;

  /** One per-peer read per scrape, shared by the two gauges it feeds. */
  private peerRead: Promise<PeerQueueFigures[] | undefined> | undefined;

  readonly queueJobs: Gauge<'peer' | 'state'>;
  readonly oldestJobAge: Gauge<'peer'>;
  readonly deadLetters: Gauge;
  readonly deadLettersAdded: Counter<'peer'>;
  readonly reportsPendingGauge: Gauge;
  readonly endToEnd: Histogram<'interface' | 'state'>;
  readonly originOutcomes: Counter<'interface' | 'origin' | 'state'>;
  readonly throttleWait: Histogram<'peer'>;
  readonly throttleDeferred: Counter<'peer'>;
  readonly storeDurableGauge: Gauge<'backend'>;
  readonly collectErrors: Counter<'source'>;

  /**
   * @param readTimeoutMs how long a scrape-time store read may take before its metric is left out of the
   *   scrape (counted in mmsc_metrics_collect_errors_total).
   */
  constructor(
    private readonly registry: Registry,
    private readonly readTimeoutMs = 3000,
  ) {
    const registers = [registry];
    this.queueJobs = new Gauge({
      name: 'mmsc_queue_jobs',
      help: 'Delivery jobs in the store, by peer and state (waiting: due, delayed, retrying or notified; leased: being delivered), at scrape time',
      labelNames: ['peer', 'state'] as const,
      registers,
      collect: async () => {
        const stats = await this.peers();
        this.queueJobs.reset();
        for (const s of stats ?? []) {
          this.queueJobs.set({ peer: s.peer, state: 'waiting' }, s.waiting);
          this.queueJobs.set({ peer: s.peer, state: 'leased' }, s.leased);
        }
      },
    });
    this.oldestJobAge = new Gauge({
      name: 'mmsc_queue_oldest_job_age_seconds',
      help: 'Age of the oldest waiting job of each peer (now minus the time it became due), at scrape time',
      labelNames: ['peer'] as const,
      registers,
      collect: async () => {
        const stats = await this.peers();
        this.oldestJobAge.reset();
        for (const s of stats ?? []) this.oldestJobAge.set({ peer: s.peer }, s.oldestDueMs === undefined ? 0 : s.oldestDueMs / 1000);
      },
    });
    this.deadLetters = new Gauge({
      name: 'mmsc_queue_dead_letters',
      help: 'Dead letters in the store (jobs that used their attempts), at scrape time',
      registers,
      collect: async () => {
        const n = await this.read('dead-letters', this.deadLetterCount);
        if (n !== undefined) this.deadLetters.set(n);
      },
    });
    this.deadLettersAdded = new Counter({
      name: 'mmsc_queue_dead_letters_added_total',
      help: 'Jobs this instance moved to the dead letters (attempts used up), by peer',
      labelNames: ['peer'] as const,
      registers,
    });
    this.reportsPendingGauge = new Gauge({
      name: 'mmsc_delivery_reports_pending',
      help: 'Delivery and read reports owed to originators and not yet sent on: final states of reported messages the report generator has not acknowledged, at scrape time',
      registers: [],
      collect: async () => {
        const n = await this.read('reports-pending', this.pendingReports);
        if (n !== undefined) this.reportsPendingGauge.set(n);
      },
    });
    this.endToEnd = new Histogram({
      name: 'mmsc_message_end_to_end_duration_seconds',
      help: 'Time from a message entering the gateway to a recipient reaching its final state, by the interface it came in by and that state',
      labelNames: ['interface', 'state'] as const,
      buckets: END_TO_END_BUCKETS,
      registers,
    });
    this.originOutcomes = new Counter({
      name: 'mmsc_origin_final_states_total',
      help: 'Recipients that reached a final state, by the interface and the sender the message came from (VASP, MM4 peer or SMSC id; subscriber for handsets) and that state',
      labelNames: ['interface', 'origin', 'state'] as const,
      registers,
    });
    this.throttleWait = new Histogram({
      name: 'mmsc_throttle_wait_seconds',
      help: 'Time a granted delivery or submission waits for its slot in the peer throttle, by throttle key (peer)',
      labelNames: ['peer'] as const,
      buckets: THROTTLE_WAIT_BUCKETS,
      registers,
    });
    this.throttleDeferred = new Counter({
      name: 'mmsc_throttle_deferred_total',
      help: 'Deliveries or submissions the throttle did not grant (over the rate, burst or in-flight cap), by throttle key (peer)',
      labelNames: ['peer'] as const,
      registers,
    });
    this.storeDurableGauge = new Gauge({
      name: 'mmsc_store_durable',
      help: '1 when accepted messages survive a crash of the store (Redis with appendonly yes), 0 when not (embedded store, Redis without AOF), by backend; absent until known',
      labelNames: ['backend'] as const,
      registers,
      collect: () => {
        this.storeDurableGauge.reset();
        const s = this.storeDurable?.();
        if (s && s.durable !== undefined) this.storeDurableGauge.set({ backend: s.backend }, s.durable ? 1 : 0);
      },
    });
    this.collectErrors = new Counter({
      name: 'mmsc_metrics_collect_errors_total',
      help: 'Scrape-time reads that failed (the store unreachable), by source; the metric they feed is left out of that scrape',
      labelNames: ['source'] as const,
      registers,
    });
  }

  /**
   * A recipient of `message` reached its final state `state`: the end-to-end histogram (from `receivedAt`)
   * and the per-sender count. Reports and acknowledgements the gateway generates itself are not counted:
   * the figure is about what senders submitted.
   */
  final(message: CoreMessage, state: string, now = Date.now()): void {
    if (message.report || message.ack) return;
    const iface = message.origin.iface;
    this.endToEnd.observe({ interface: iface, state }, Math.max(0, now - message.receivedAt) / 1000);
    this.originOutcomes.inc({ interface: iface, origin: originLabel(message.origin), state });
  }

  private peers(): Promise<PeerQueueFigures[] | undefined> {
    // Both gauges' collect functions are called in the same tick of one scrape: the first starts the read,
    // the second shares it; it is forgotten once settled, so the next scrape reads again.
    if (!this.peerRead) {
      this.peerRead = this.read('peer-stats', this.peerStats).finally(() => {
        this.peerRead = undefined;
      });
    }
    return this.peerRead;
  }

  /**
   * A scrape must answer while the store is away: a failed read leaves its metric out and is counted, instead
   * of failing /metrics (which would read as the instance being down).
   */
  private async read<T>(source: string, fn: (() => Promise<T>) | undefined): Promise<T | undefined> {
    if (!fn) return undefined;
    let timer: NodeJS.Timeout | undefined;
    // A store that answers slowly must not hold the scrape past Prometheus' scrape timeout (10 s by default):
    // that too would read as the instance being down.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), this.readTimeoutMs);
    });
    try {
      return await Promise.race([fn(), late]);
    } catch {
      this.collectErrors.inc({ source });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
