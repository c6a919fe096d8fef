import { errorFields } from './log-error.js';
import type { Logger } from 'pino';
import type { CoreMessage } from './message.js';

/**
 * Number portability in front of the route table's prefixes (issue 22, "Routing"): +31612345678 is carrier
 * B's by its prefix, but its subscriber moved to carrier C, or to us, or away from us. A lookup names the
 * network that serves the number now; the answer is recorded on the recipient (Recipient.network) when a
 * message enters (intake), and the routes honour it before prefixes (mm1 local subscribers, mm4 peers).
 */

/** The network of our own subscribers in a PortingAnswer and on Recipient.network. */
export const HOME_NETWORK = 'home';

/** Where a number lives after porting: our network, or a peer carrier's (its mm4.peers[].id). */
export interface PortingAnswer {
  /** HOME_NETWORK or a peer's id. */
  network: string;
  /** Which source said so (file, redis, enum): for logs. */
  source: string;
}

/** The lookup port: the network serving a +E.164 number, or undefined when the source knows nothing of it. */
export interface NumberPortability {
  lookup(e164: string): Promise<PortingAnswer | undefined>;
}

/**
 * The ported-numbers table the store holds, shared by every instance (Redis: one hash; the embedded store:
 * this process's memory). Operators fill it from their national portability database.
 */
export interface PortingTable {
  /** The network of a ported number; undefined: not in the table. */
  get(e164: string): Promise<string | undefined>;
  set(e164: string, network: string): Promise<void>;
  delete(e164: string): Promise<void>;
}

/** A table source under a name ('redis', 'memory'). */
export function tableSource(source: string, table: PortingTable): NumberPortability {
  return {
    lookup: async (e164) => {
      const network = await table.get(e164);
      return network === undefined ? undefined : { network, source };
    },
  };
}

/** A fixed map (the file table, loaded at start) as a source. */
export function mapSource(source: string, map: ReadonlyMap<string, string>): NumberPortability {
  return {
    lookup: async (e164) => {
      const network = map.get(e164);
      return network === undefined ? undefined : { network, source };
    },
  };
}

/**
 * What one lookup came to, for the metric (bounded labels): `cached` answered from the cache, `ported` a
 * source named a network, `none` every source answered and none knows the number, `error` a source failed,
 * `unknown-network` a source named a network routing does not know, `timeout` no answer within timeoutMs.
 * The last three fall back to the prefixes.
 */
export type LookupOutcome = 'cached' | 'ported' | 'none' | 'error' | 'unknown-network' | 'timeout';

export interface CachedPortabilityOptions {
  /** Asked in this order (static table first, then ENUM); the first answer wins. */
  sources: readonly NumberPortability[];
  /** Networks routing knows (HOME_NETWORK and the peers' ids): an answer naming another is not used. */
  known: (network: string) => boolean;
  /** How long an answer is kept. */
  ttlMs: number;
  /** How long "no source knows this number" is kept. */
  negativeTtlMs: number;
  /** Numbers kept at most (least recently used dropped first). */
  maxEntries: number;
  /** Longest a lookup may hold up its caller; then it falls back to the prefixes (the lookup goes on). */
  timeoutMs: number;
  log: Logger;
  observe?: (outcome: LookupOutcome) => void;
  now?: () => number;
}

/** Warnings of the lookup are written at most once in this interval (see CachedPortability.warn). */
const WARN_INTERVAL_MS = 10_000;

interface Entry {
  answer: PortingAnswer | undefined;
  expiresAt: number;
}

/**
 * The sources behind one cache. Answers and "not ported" are kept with their own TTLs in a bounded LRU
 * (a Map in use order); a failed source is logged and the next one asked, and a result that followed a
 * failure is not kept (the failed source might have answered otherwise). Concurrent lookups of one number
 * share one trip to the sources. A lookup never waits longer than timeoutMs: after that its caller gets
 * undefined (routing by prefix) while the trip goes on and fills the cache for the next message.
 */
export class CachedPortability implements NumberPortability {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<PortingAnswer | undefined>>();
  private readonly now: () => number;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(private readonly o: CachedPortabilityOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Numbers in the cache (for tests and the bound). */
  get size(): number {
    return this.cache.size;
  }

  async lookup(e164: string): Promise<PortingAnswer | undefined> {
    const hit = this.cached(e164);
    if (hit) {
      this.o.observe?.('cached');
      return hit.answer;
    }
    let trip = this.pending.get(e164);
    if (!trip) {
      trip = this.ask(e164).finally(() => this.pending.delete(e164));
      this.pending.set(e164, trip);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.o.timeoutMs);
    });
    try {
      const r = await Promise.race([trip, late]);
      if (r !== 'timeout') return r;
      this.o.observe?.('timeout');
      this.warn({ timeoutMs: this.o.timeoutMs }, 'number portability: no answer in time; routing by prefix');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A warning, at most one a WARN_INTERVAL_MS with the count of those left out: a dead DNS server under load
   * would otherwise write one line per message (the metric counts every one).
   */
  private warn(fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) {
      this.unlogged++;
      return;
    }
    this.o.log.warn(this.unlogged > 0 ? { ...fields, unlogged: this.unlogged } : fields, msg);
    this.lastWarnAt = now;
    this.unlogged = 0;
  }

  private cached(e164: string): Entry | undefined {
    const e = this.cache.get(e164);
    if (!e) return undefined;
    this.cache.delete(e164);
    if (e.expiresAt <= this.now()) return undefined;
    // Re-inserted: the Map's order is the use order, its first key the least recently used.
    this.cache.set(e164, e);
    return e;
  }

  private keep(e164: string, answer: PortingAnswer | undefined): void {
    const ttl = answer ? this.o.ttlMs : this.o.negativeTtlMs;
    if (ttl <= 0 || this.o.maxEntries <= 0) return;
    this.cache.delete(e164);
    while (this.cache.size >= this.o.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    this.cache.set(e164, { answer, expiresAt: this.now() + ttl });
  }

  /** Asks the sources in order; never throws. */
  private async ask(e164: string): Promise<PortingAnswer | undefined> {
    let failed = false;
    for (const [i, source] of this.o.sources.entries()) {
      let answer: PortingAnswer | undefined;
      try {
        answer = await source.lookup(e164);
      } catch (err) {
        failed = true;
        this.o.observe?.('error');
        this.warn({ err: errorFields(err), source: i }, 'number portability: a source failed; asking the next');
        continue;
      }
      if (!answer) continue;
      if (!this.o.known(answer.network)) {
        failed = true;
        this.o.observe?.('unknown-network');
        this.warn({ network: answer.network, source: answer.source }, 'number portability: answer names a network routing does not know');
        continue;
      }
      this.o.observe?.('ported');
      if (!failed) this.keep(e164, answer);
      return answer;
    }
    if (!failed) {
      this.o.observe?.('none');
      this.keep(e164, undefined);
    }
    return undefined;
  }
}

/**
 * The intake step (Router.prepare): each distinct plmn recipient of a new message (not a report: a report
 * goes back where its original came from) looked up once, in parallel, and the network recorded on the
 * recipient. Recipients with a network already (a resubmission) keep it. Returns a new message; the
 * lookup's own timeout bounds the wait.
 */
export function recordNetworks(portability: NumberPortability): (message: CoreMessage) => Promise<CoreMessage> {
  return async (message) => {
    if (message.report !== undefined) return message;
    const numbers = new Set(message.recipients.filter((r) => r.type === 'plmn' && r.network === undefined).map((r) => r.address));
    if (numbers.size === 0) return message;
    const answers = new Map<string, string>();
    await Promise.all(
      [...numbers].map(async (n) => {
        // A lookup is not a reason to refuse a message: whatever goes wrong, the prefixes route it.
        const a = await portability.lookup(n).catch(() => undefined);
        if (a) answers.set(n, a.network);
      }),
    );
    if (answers.size === 0) return message;
    const recipients = message.recipients.map((r) => {
      const network = r.type === 'plmn' && r.network === undefined ? answers.get(r.address) : undefined;
      return network === undefined ? r : { ...r, network };
    });
    return { ...message, recipients };
  };
}
