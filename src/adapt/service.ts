import { randomBytes } from 'node:crypto';
import type { CoreMessage } from '../core/message.js';
import type { IdempotencyStore, MediaStore } from '../core/ports.js';
import type { RefusalCode } from '../core/refusals.js';
import type { SenderEvents } from '../core/sender-events.js';
import type { Logger } from '../ops/logger.js';
import type { ContentMetrics } from '../ops/metrics-content.js';
import { type Capabilities, capabilityClass } from './capabilities.js';
import { inPartOrder } from './plan.js';
import type { AdaptationOutcome, AdaptationResult, AdaptTools, PlanAdaptation } from './types.js';

/** The claim scope of adaptations across instances (IdempotencyStore): one instance adapts, the others wait. */
export const ADAPT_SCOPE = 'adapt';

/** Bytes of adapted content kept in this process (most recent first), so that a fan-out does not re-read the store per recipient. */
const LOCAL_CACHE_BYTES = 32 * 1024 * 1024;
/** Recipients whose `adapted` event was emitted, remembered in this process (the event queue dedupes beyond it). */
const EVENTS_REMEMBERED = 100_000;

export interface ContentAdaptationOptions {
  media: MediaStore;
  idempotency: IdempotencyStore;
  plan: PlanAdaptation;
  tools: AdaptTools;
  metrics: ContentMetrics;
  events: SenderEvents;
  log: Logger;
  /** queue.retentionMs: an adapted copy lives until the message's expiry plus this (a late retrieval finds it). */
  retentionMs: number;
  /** How long an instance waits for another's adaptation of the same (message, class) before adapting itself. */
  waitMs?: number;
  /** How often it looks for the other's record while waiting. */
  pollMs?: number;
  now?: () => number;
}

/** What is stored under `adapted` `<messageId>/<class>`: the result's JSON; the bytes beside it are the parts concatenated. */
type StoredMeta =
  | { v: 1; ok: true; outcome: AdaptationOutcome; sizes: number[] }
  /** Unchanged: no bytes are kept, the original content goes as it is. */
  | { v: 1; ok: true; same: true; outcome: AdaptationOutcome }
  | { v: 1; ok: false; code: RefusalCode; detail: string };

/** Reads the original content of a message (the queue's), only when an adaptation must be made or nothing changed. */
export type ContentLoader = () => Promise<readonly Buffer[]>;

/**
 * Content adaptation once per (message, capability class) (issue 25): the first recipient of a class has the
 * message adapted (the planner, src/adapt/plan.ts), every other recipient of that class, on any instance,
 * gets the same result from the store (MediaStore kind `adapted`). In one process concurrent askers share
 * one adaptation (single flight); across instances an IdempotencyStore claim (scope `adapt`) makes one
 * instance adapt while the others wait for its record, for `waitMs` at most (then adapt themselves: a dead
 * instance never blocks delivery). The sender's `adapted` event goes once per recipient whose content changed.
 */
export class ContentAdaptation {
  private readonly now: () => number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly flights = new Map<string, Promise<AdaptationResult>>();
  /** Recent results by key, bounded by their bytes (Map order = insertion order: the oldest go first). */
  private readonly recent = new Map<string, { result: AdaptationResult; bytes: number }>();
  /** Outcomes of classes that got the original as it is (their content is the queue's: loaded per asker). */
  private readonly same = new Map<string, AdaptationOutcome>();
  private recentBytes = 0;
  private readonly told = new Set<string>();
  /** This instance's claim value (so that a release drops only its own claim). */
  private readonly self = randomBytes(8).toString('hex');

  constructor(private readonly o: ContentAdaptationOptions) {
    this.now = o.now ?? Date.now;
    this.waitMs = o.waitMs ?? 30_000;
    this.pollMs = o.pollMs ?? 100;
  }

  /**
   * The content recipient `recipientIndex` of `message` gets with capabilities `caps`. `load` reads the
   * original content (called at most once here, and not at all when the class's result is known).
   */
  async forRecipient(message: CoreMessage, recipientIndex: number, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult> {
    const key = `${message.id}/${capabilityClass(caps)}`;
    const result = await this.resultFor(key, message, caps, load);
    if (result.ok && result.outcome.changed) this.tell(message, recipientIndex, result.outcome);
    return result;
  }

  private async resultFor(key: string, message: CoreMessage, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult> {
    const local = this.recent.get(key);
    if (local) {
      this.o.metrics.cache.inc({ result: 'hit' });
      return local.result;
    }
    const same = this.same.get(key);
    if (same) {
      this.o.metrics.cache.inc({ result: 'hit' });
      return { ok: true, outcome: same, content: inPartOrder(message, await load()) };
    }
    let flight = this.flights.get(key);
    if (flight) {
      this.o.metrics.cache.inc({ result: 'hit' });
      return flight;
    }
    flight = this.lookUpOrAdapt(key, message, caps, load).finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }

  private async lookUpOrAdapt(key: string, message: CoreMessage, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult> {
    const stored = await this.read(key, message, load);
    if (stored) {
      this.o.metrics.cache.inc({ result: 'hit' });
      return this.keep(key, stored);
    }
    const ttlMs = this.ttlOf(message);
    const claim = await this.o.idempotency.claim(ADAPT_SCOPE, key, this.self, Math.min(ttlMs, this.waitMs * 2));
    if (!claim.first) {
      const waited = await this.waitFor(key, message, load);
      if (waited) {
        this.o.metrics.cache.inc({ result: 'wait' });
        return this.keep(key, waited);
      }
      this.o.log.warn(
        { messageId: message.id, key, waitMs: this.waitMs },
        'adaptation by another instance not seen in time; adapting here',
      );
    }
    this.o.metrics.cache.inc({ result: 'miss' });
    try {
      const result = await this.adapt(message, caps, load);
      try {
        await this.write(key, result, ttlMs);
      } catch (err) {
        // Not kept (the store is full or unreachable): the recipient still gets it; the next one adapts again.
        this.o.log.warn({ err, messageId: message.id, key }, 'adapted content not stored; delivered without the shared copy');
        await this.o.idempotency.release(ADAPT_SCOPE, key, this.self).catch(() => {});
      }
      return this.keep(key, result);
    } catch (err) {
      // Nothing stored: let the next try (here or on another instance) start at once.
      await this.o.idempotency.release(ADAPT_SCOPE, key, this.self).catch(() => {});
      throw err;
    }
  }

  private async adapt(message: CoreMessage, caps: Capabilities, load: ContentLoader): Promise<AdaptationResult> {
    const content = await load();
    const started = process.hrtime.bigint();
    let result: AdaptationResult;
    try {
      result = await this.o.plan(message, content, caps, this.o.tools);
    } catch (err) {
      this.o.metrics.adaptations.inc({ result: 'failed' });
      throw err;
    }
    this.o.metrics.seconds.observe({ kind: 'message' }, Number(process.hrtime.bigint() - started) / 1e9);
    if (!result.ok) {
      this.o.metrics.adaptations.inc({ result: 'refused' });
      this.o.log.info({ messageId: message.id, code: result.code, detail: result.detail }, 'adaptation refused');
      return result;
    }
    const o = result.outcome;
    this.o.metrics.adaptations.inc({ result: o.changed ? 'adapted' : 'unchanged' });
    if (o.changed) {
      if (o.bytesBefore > o.bytesAfter) this.o.metrics.bytesSaved.inc(o.bytesBefore - o.bytesAfter);
      this.o.log.info(
        {
          messageId: message.id,
          class: o.classKey,
          source: caps.source,
          bytesBefore: o.bytesBefore,
          bytesAfter: o.bytesAfter,
          changes: o.changes,
        },
        'content adapted',
      );
    }
    // An unchanged outcome carries the original content, in its parts' order (the loader's buffers).
    return result;
  }

  /** The stored result of `key`, or undefined. A record that cannot be read is treated as none (adapted again). */
  private async read(key: string, message: CoreMessage, load: ContentLoader): Promise<AdaptationResult | undefined> {
    const record = await this.o.media.get('adapted', key);
    if (!record) return undefined;
    let meta: StoredMeta;
    try {
      meta = JSON.parse(record.meta) as StoredMeta;
    } catch {
      return undefined;
    }
    if (meta.v !== 1) return undefined;
    if (!meta.ok) return { ok: false, code: meta.code, detail: meta.detail };
    if ('same' in meta) return { ok: true, outcome: meta.outcome, content: inPartOrder(message, await load()) };
    const content: Buffer[] = [];
    let at = 0;
    for (const size of meta.sizes) {
      if (at + size > record.bytes.length) return undefined;
      content.push(record.bytes.subarray(at, at + size));
      at += size;
    }
    return { ok: true, outcome: meta.outcome, content };
  }

  private async write(key: string, result: AdaptationResult, ttlMs: number): Promise<void> {
    let meta: StoredMeta;
    let bytes = Buffer.alloc(0);
    if (!result.ok) meta = { v: 1, ok: false, code: result.code, detail: result.detail };
    else if (!result.outcome.changed) meta = { v: 1, ok: true, same: true, outcome: result.outcome };
    else {
      meta = { v: 1, ok: true, outcome: result.outcome, sizes: result.content.map((b) => b.length) };
      bytes = Buffer.concat(result.content);
    }
    await this.o.media.put('adapted', key, { meta: JSON.stringify(meta), bytes }, ttlMs);
  }

  /** Another instance holds the claim: its record, looked for every pollMs up to waitMs. */
  private async waitFor(key: string, message: CoreMessage, load: ContentLoader): Promise<AdaptationResult | undefined> {
    const until = this.now() + this.waitMs;
    while (this.now() < until) {
      await new Promise((r) => setTimeout(r, this.pollMs));
      const found = await this.read(key, message, load);
      if (found) return found;
    }
    return undefined;
  }

  private ttlOf(message: CoreMessage): number {
    return Math.max(60_000, message.expiresAt - this.now() + this.o.retentionMs);
  }

  /** Kept in this process too, the oldest dropped past LOCAL_CACHE_BYTES. */
  private keep(key: string, result: AdaptationResult): AdaptationResult {
    // Unchanged results hold the original buffers (read again from the queue next time): their outcome only.
    if (result.ok && !result.outcome.changed) {
      this.same.set(key, result.outcome);
      if (this.same.size > 10_000) this.same.delete(this.same.keys().next().value!);
      return result;
    }
    const bytes = result.ok ? result.content.reduce((n, b) => n + b.length, 0) : 0;
    if (bytes > LOCAL_CACHE_BYTES) return result;
    this.recent.set(key, { result, bytes });
    this.recentBytes += bytes;
    for (const [k, e] of this.recent) {
      if (this.recentBytes <= LOCAL_CACHE_BYTES && this.recent.size <= 10_000) break;
      this.recent.delete(k);
      this.recentBytes -= e.bytes;
    }
    return result;
  }

  /** The `adapted` event, once per recipient (the event queue's derived id dedupes what this process forgot). */
  private tell(message: CoreMessage, recipientIndex: number, o: AdaptationOutcome): void {
    const id = `${message.id}/${recipientIndex}`;
    if (this.told.has(id)) return;
    this.told.add(id);
    if (this.told.size > EVENTS_REMEMBERED) this.told.delete(this.told.values().next().value!);
    const detail = `${o.changes.join('; ')} (${o.bytesBefore} -> ${o.bytesAfter} bytes)`;
    this.o.events.emit(message, { type: 'adapted', recipientIndex, at: this.now(), detail }).catch((err: unknown) => {
      this.o.log.warn({ messageId: message.id, recipientIndex, err: (err as Error).message }, 'adapted event not queued');
    });
  }
}
