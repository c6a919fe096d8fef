import { randomUUID } from 'node:crypto';
import { TERMINAL_STATES } from '../../core/message.js';
import type { CoreMessage, RecipientState, StateEvent } from '../../core/message.js';
import { COMPLETE_STATES, type CompleteState, LeaseLostError, StoreFullError } from '../../core/ports.js';
import { DEFAULT_QUEUE_OPTIONS, type QueueOptions } from '../options.js';
import type {
  ContentStage,
  DeadLetter,
  DeferOptions,
  FinalEvent,
  LeasedJob,
  PeerHold,
  PeerQueueStats,
  Queue,
  QueueStats,
  StagePurpose,
  StoreUsage,
} from '../../core/ports.js';
import type { DeadLetterFilter, MessageSearch, MessageSearchPage, MessageTrace, RequeueOutcome, RetrievalRead } from '../../core/ports.js';
import { deadMatches, REQUEUED_DETAIL } from '../dead-filter.js';
import { MemorySearchIndex } from './search-index.js';
import { MemoryContentStage, type StageLedger } from './content-stage.js';
import { DEFAULT_MEMORY_LIMITS, eventBytes, messageBytes, packParts, type MemoryLimits } from './limits.js';

/**
 * The embedded queue: the semantics of src/core/ports.ts in one process, not durable. Every structure is
 * indexed so that take/ack/retry cost O(log n) whatever the backlog: a binary heap of due jobs per peer,
 * a heap of leases by end time, a heap of messages by expiry and one by removal time. Heap entries are
 * invalidated lazily (a generation number per job) instead of being searched for and removed.
 *
 * Memory is bounded by MemoryLimits: a new message that would take the store over its message count or its
 * estimated bytes (limits.ts; content staged by requests still arriving counts too) is refused with
 * StoreFullError, after finished messages kept only for their retention have been let go early, oldest
 * first, to make room (those whose delivery reports are not yet queued stay). Taking, settling and
 * completing jobs never needs room, so a full store drains, and accepting resumes as it does. Delivery
 * reports are admitted over the limits: they follow from messages the store accepted, and refusing them
 * would keep those messages from ever being let go.
 */

/**
 * What the expiry sweep records on a job it ends: a notified recipient did not fetch the message (the
 * Redis store's take script writes the same).
 */
function expiredDetail(job: { state: RecipientState; notifications: number }): string {
  return job.state === 'notified' ? `expired before retrieval (notifications: ${job.notifications})` : 'expired before delivery';
}

/** Dead letters kept (the oldest go first), as the Redis store keeps them. */
const DEAD_LETTER_CAP = 10_000;

/** A binary min-heap; `before(a, b)` is true when a must come out first. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

interface JobRecord {
  readonly msg: MessageRecord;
  readonly index: number;
  readonly peer: string;
  /** Enqueue order, the tie-break between jobs due at the same time (FIFO). */
  readonly seq: number;
  state: RecipientState;
  attempt: number;
  /** Times settled `wait` (notifications sent). */
  notifications: number;
  due: number;
  /** The error of the last failed attempt (retry). */
  lastError?: string;
  /** The current lease token; kept after the lease ran out until the job is taken again or settled. */
  lease: string | undefined;
  leaseUntil: number;
  /** Only the ready-heap entry carrying this generation is live; older ones are skipped when popped. */
  gen: number;
  readonly history: StateEvent[];
}

interface MessageRecord {
  message: CoreMessage;
  content: Buffer[];
  readonly jobs: JobRecord[];
  /** Recipients not yet terminal. */
  pending: number;
  /** Estimated bytes of model, jobs and content (limits.ts), and of the history entries added since. */
  bytes: number;
  historyBytes: number;
  /** Final events not yet acknowledged: the message is kept for its report until they are. */
  unreported: number;
  /** Let go (retention ended, or room was needed): counted out of the store's usage. */
  removed: boolean;
  /** When its retention ends (set when its last recipient ends; a removal entry before it is stale: requeued since). */
  removeAt?: number;
}

interface ReadyEntry {
  job: JobRecord;
  due: number;
  seq: number;
  gen: number;
}

interface LeaseEntry {
  job: JobRecord;
  lease: string;
  leaseUntil: number;
}

interface PeerRecord {
  readonly ready: Heap<ReadyEntry>;
  /** Set by defer: none of the peer's jobs are handed out before this time. */
  hideUntil: number;
}

export class MemoryQueue implements Queue {
  private readonly options: QueueOptions;
  private readonly messages = new Map<string, MessageRecord>();
  private readonly peers = new Map<string, PeerRecord>();
  /** Jobs carrying a lease token (live, or run out but not yet taken again). */
  private readonly leased = new Set<JobRecord>();
  private readonly leaseEnds = new Heap<LeaseEntry>((a, b) => a.leaseUntil < b.leaseUntil);
  /** Message ids by expiry time (ids, not records, so that a removed message's content is not held on). */
  private readonly expiries = new Heap<{ id: string; at: number }>((a, b) => a.at < b.at);
  /** Messages past their expiry that still had a leased job when last looked at. */
  private readonly expiring = new Set<MessageRecord>();
  private readonly removals = new Heap<{ msg: MessageRecord; at: number }>((a, b) => a.at < b.at);
  private readonly dead: DeadLetter[] = [];
  /** Per peer: its jobs not yet terminal, and those of them carrying a lease token (peerStats). */
  private readonly peerJobs = new Map<string, { pending: number; leased: Set<JobRecord> }>();
  /** Peers held (holdPeer): take skips them. */
  private readonly holds = new Map<string, PeerHold>();
  private readonly index: MemorySearchIndex;
  /** Final events of messages that asked for a report, until acknowledged (see Queue.finalEvents). */
  private readonly finals = new Map<string, { event: FinalEvent; handedUntil: number; msg: MessageRecord }>();
  private finalSeq = 0;
  private pendingJobs = 0;
  private seq = 0;
  private gen = 0;
  /** Rotates the peer that take serves first, so that no peer is always first in line. */
  private rotation = 0;
  private closed = false;
  private readonly limits: MemoryLimits;
  /** Estimated bytes of the messages held, and of content staged for messages not yet enqueued. */
  private usedBytes = 0;
  private stagedBytes = 0;
  private readonly ledger: StageLedger = {
    reserve: (bytes) => {
      const fits = () => this.usedBytes + this.stagedBytes + bytes <= this.limits.maxBytes;
      if (!fits()) this.reclaim(fits);
      if (!fits()) return new StoreFullError('bytes', `store full: ${this.describeUsage()}`);
      this.stagedBytes += bytes;
      return undefined;
    },
    // A closed queue counts nothing any more (close zeroes it): a stage dropped after it gives nothing back.
    release: (bytes) => void (this.closed || (this.stagedBytes -= bytes)),
  };

  constructor(options: Partial<QueueOptions> & { limits?: Partial<MemoryLimits> } = {}) {
    const { limits, ...queueOptions } = options;
    // Undefined fields (e.g. from an optional config value) keep their defaults instead of erasing them.
    const defined = <T extends object>(o: T): Partial<T> =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
    this.options = { ...DEFAULT_QUEUE_OPTIONS, ...defined(queueOptions) };
    this.limits = { ...DEFAULT_MEMORY_LIMITS, ...defined(limits ?? {}) };
    this.index = new MemorySearchIndex(this.options.searchIndexMs ?? this.options.retentionMs, (id) => this.messages.has(id));
  }

  stage(messageId: string, ttlMs: number, purpose: StagePurpose = 'message'): ContentStage {
    return new MemoryContentStage(messageId, purpose, this.ledger, ttlMs);
  }

  /** What the store holds against its limits (metrics). */
  usage(): StoreUsage {
    return {
      messages: this.messages.size,
      bytes: this.usedBytes + this.stagedBytes,
      maxMessages: this.limits.maxMessages,
      maxBytes: this.limits.maxBytes,
    };
  }

  /** The parts of a stage of this queue made for `messageId` and `purpose`; throws for any other. */
  private staged(content: ContentStage, messageId: string, purpose: StagePurpose): Buffer[] {
    if (!(content instanceof MemoryContentStage) || content.messageId !== messageId || content.purpose !== purpose) {
      throw new Error(`message ${messageId}: content stage of another store or message`);
    }
    return content.take();
  }

  async enqueue(message: CoreMessage, content: readonly Buffer[] | ContentStage, peers: readonly string[]): Promise<void> {
    const now = this.begin();
    let parts: readonly Buffer[];
    if (Array.isArray(content)) parts = content as readonly Buffer[];
    else parts = this.staged(content as ContentStage, message.id, 'message');
    if (message.recipients.length === 0) throw new Error(`message ${message.id} has no recipients`);
    if (peers.length !== message.recipients.length) {
      throw new Error(`message ${message.id}: ${message.recipients.length} recipients but ${peers.length} peers`);
    }
    // Message ids are unique gateway-wide: the same id again is a re-submission (an edge redelivering after
    // a lost response), accepted once, as the Redis backend does.
    if (this.messages.has(message.id)) return;
    const bytes = messageBytes(message, parts);
    if (message.report?.kind !== 'delivery') this.admit(bytes);
    const msg: MessageRecord = {
      message: structuredClone(message),
      content: Array.isArray(content) ? packParts(parts.map((b) => [b])) : (parts as Buffer[]),
      jobs: [],
      pending: peers.length,
      bytes,
      historyBytes: 0,
      unreported: 0,
      removed: false,
    };
    this.usedBytes += bytes;
    const due = message.earliestDeliveryAt ?? now;
    peers.forEach((peer, index) => {
      const job: JobRecord = {
        msg,
        index,
        peer,
        seq: this.seq++,
        state: 'queued',
        attempt: 0,
        notifications: 0,
        due,
        lease: undefined,
        leaseUntil: 0,
        gen: 0,
        history: [],
      };
      this.addHistory(job, { at: now, state: 'queued', attempt: 0 });
      msg.jobs.push(job);
      this.countPeerJob(peer, 1);
      this.schedule(job);
    });
    this.messages.set(message.id, msg);
    this.index.add(message, now);
    this.expiries.push({ id: message.id, at: message.expiresAt });
    this.pendingJobs += peers.length;
  }

  async take(max: number, perPeer = 8): Promise<LeasedJob[]> {
    const now = this.begin();
    this.reclaimLostLeases(now);
    this.expireMessages(now);
    const out: LeasedJob[] = [];
    if (max <= 0 || perPeer <= 0) return out;

    const names = [...this.peers.keys()];
    const start = names.length > 0 ? this.rotation++ % names.length : 0;
    let active = [...names.slice(start), ...names.slice(0, start)].filter((p) => this.peers.get(p)!.hideUntil <= now && !this.holds.has(p));
    const given = new Map<string, number>();
    // Round-robin, one job per peer per round, so that a small `max` is shared between peers.
    while (active.length > 0 && out.length < max) {
      const next: string[] = [];
      for (const name of active) {
        if (out.length >= max) break;
        const job = this.popDue(this.peers.get(name)!, now);
        if (!job) continue;
        out.push(this.lease(job, now));
        const n = (given.get(name) ?? 0) + 1;
        given.set(name, n);
        if (n < perPeer) next.push(name);
      }
      active = next;
    }
    this.dropIdlePeers(now);
    return out;
  }

  async extend(job: LeasedJob, leaseMs?: number): Promise<void> {
    const now = this.begin();
    const rec = this.held(job);
    rec.leaseUntil = now + (leaseMs ?? this.options.leaseMs);
    this.leaseEnds.push({ job: rec, lease: rec.lease!, leaseUntil: rec.leaseUntil });
  }

  async ack(job: LeasedJob, state: 'delivered' | 'rejected' | 'failed', detail?: string): Promise<void> {
    const now = this.begin();
    if (state !== 'delivered' && state !== 'rejected' && state !== 'failed') throw new Error(`ack: bad state ${String(state)}`);
    this.finish(this.held(job), now, state, detail);
  }

  async retry(job: LeasedJob, error: string, delayMs: number): Promise<'retrying' | 'failed' | 'expired'> {
    const now = this.begin();
    const rec = this.held(job);
    rec.lastError = error;
    const delay = Math.max(0, delayMs);
    if (now + delay >= rec.msg.message.expiresAt) {
      this.finish(rec, now, 'expired', error);
      return 'expired';
    }
    if (rec.attempt >= this.options.maxAttempts) {
      this.finish(rec, now, 'failed', error);
      this.dead.push({
        messageId: rec.msg.message.id,
        recipientIndex: rec.index,
        peer: rec.peer,
        attempts: rec.attempt,
        error,
        at: now,
      });
      if (this.dead.length > DEAD_LETTER_CAP) this.dead.shift();
      return 'failed';
    }
    this.release(rec);
    this.record(rec, now, 'retrying', error);
    rec.due = now + delay;
    this.schedule(rec);
    return 'retrying';
  }

  async wait(job: LeasedJob, detail: string, delayMs: number): Promise<'notified' | 'expired'> {
    const now = this.begin();
    const rec = this.held(job);
    const expiresAt = rec.msg.message.expiresAt;
    if (now >= expiresAt) {
      this.finish(rec, now, 'expired', detail);
      return 'expired';
    }
    this.release(rec);
    rec.attempt -= 1; // the take's increment is given back: telling the recipient is not a failed attempt
    rec.notifications += 1;
    this.record(rec, now, 'notified', detail);
    // Not past the expiry: the job is in the heap until then, when the expiry sweep ends it.
    rec.due = Math.min(now + Math.max(0, delayMs), expiresAt);
    this.schedule(rec);
    return 'notified';
  }

  async defer(job: LeasedJob, until: number, options: DeferOptions = {}): Promise<void> {
    const now = this.begin();
    const rec = this.held(job);
    this.release(rec);
    rec.attempt -= 1; // the take's increment is given back: throttling is not a delivery attempt
    this.record(rec, now, 'deferred', options.detail);
    rec.due = until;
    if (!options.jobOnly) {
      const peer = this.peerOf(rec.peer);
      // Keep the later time when several workers defer the same peer.
      peer.hideUntil = Math.max(peer.hideUntil, until);
    }
    this.schedule(rec);
  }

  async cancel(messageId: string, detail: string): Promise<{ cancelled: number; inProgress: number } | undefined> {
    const now = this.begin();
    const msg = this.messages.get(messageId);
    if (!msg) return undefined;
    let cancelled = 0;
    let inProgress = 0;
    for (const job of msg.jobs) {
      if (TERMINAL_STATES.has(job.state)) continue;
      if (this.isLeased(job, now)) {
        inProgress += 1;
        continue;
      }
      this.finish(job, now, 'cancelled', detail);
      cancelled += 1;
    }
    return { cancelled, inProgress };
  }

  async replace(message: CoreMessage, content?: readonly Buffer[] | ContentStage): Promise<'replaced' | 'too-late' | 'unknown'> {
    const now = this.begin();
    const parts =
      content === undefined || Array.isArray(content)
        ? (content as readonly Buffer[] | undefined)
        : this.staged(content as ContentStage, message.id, 'replacement');
    const msg = this.messages.get(message.id);
    if (!msg) return 'unknown';
    if (msg.jobs.some((j) => j.state === 'delivering' || j.state === 'delivered') || msg.pending === 0) return 'too-late';
    const newContent = parts === undefined ? msg.content : Array.isArray(content) ? packParts(parts.map((b) => [b])) : (parts as Buffer[]);
    const bytes = messageBytes(message, newContent);
    // Staged content was admitted as it arrived; content given whole must fit beside the old (for a moment both are held).
    if (Array.isArray(content) && bytes > msg.bytes) this.admit(bytes - msg.bytes, false);
    this.usedBytes += bytes - msg.bytes;
    msg.bytes = bytes;
    msg.message = structuredClone(message);
    msg.content = newContent;
    if (message.earliestDeliveryAt !== undefined) {
      for (const job of msg.jobs) {
        if (TERMINAL_STATES.has(job.state)) continue;
        job.due = Math.max(message.earliestDeliveryAt, now);
        this.schedule(job);
      }
    }
    return 'replaced';
  }

  async note(messageId: string, recipientIndex: number, detail: string): Promise<boolean> {
    const now = this.begin();
    const job = this.messages.get(messageId)?.jobs[recipientIndex];
    if (!job) return false;
    this.addHistory(job, { at: now, state: job.state, attempt: job.attempt, detail });
    return true;
  }

  async complete(
    messageId: string,
    recipientIndex: number,
    state: CompleteState,
    detail: string,
    options: { report?: boolean } = {},
  ): Promise<'completed' | 'already-final' | 'unknown'> {
    const now = this.begin();
    if (!COMPLETE_STATES.has(state)) throw new Error(`complete: bad state ${String(state)}`);
    const job = this.messages.get(messageId)?.jobs[recipientIndex];
    if (!job) return 'unknown';
    if (TERMINAL_STATES.has(job.state)) return 'already-final';
    // finish() clears the lease token (a holder's settle calls then fail in held()) and bumps the
    // generation, so the job's ready-heap and lease-heap entries go stale.
    this.finish(job, now, state, detail, options.report !== false);
    return 'completed';
  }

  async finalEvents(max: number): Promise<FinalEvent[]> {
    const now = this.begin();
    const out: FinalEvent[] = [];
    for (const entry of this.finals.values()) {
      if (out.length >= max) break;
      if (entry.handedUntil > now) continue;
      entry.handedUntil = now + this.options.leaseMs;
      out.push({ ...entry.event });
    }
    return out;
  }

  async ackFinal(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const entry = this.finals.get(id);
      if (!entry) continue;
      this.finals.delete(id);
      entry.msg.unreported -= 1;
    }
  }

  async message(messageId: string): Promise<CoreMessage | undefined> {
    this.begin();
    const msg = this.messages.get(messageId);
    return msg && structuredClone(msg.message);
  }

  async content(messageId: string): Promise<Buffer[] | undefined> {
    this.begin();
    return this.messages.get(messageId)?.content.map((b) => Buffer.from(b));
  }

  async history(messageId: string, recipientIndex: number): Promise<StateEvent[]> {
    this.begin();
    const job = this.messages.get(messageId)?.jobs[recipientIndex];
    return job ? job.history.map((e) => ({ ...e })) : [];
  }

  async states(messageId: string): Promise<RecipientState[] | undefined> {
    this.begin();
    return this.messages.get(messageId)?.jobs.map((j) => j.state);
  }

  async retrieval(messageId: string): Promise<RetrievalRead | undefined> {
    this.begin();
    const msg = this.messages.get(messageId);
    if (!msg) return undefined;
    return {
      message: structuredClone(msg.message),
      states: msg.jobs.map((j) => j.state),
      content: msg.content.map((b) => Buffer.from(b)),
    };
  }

  async deadLetters(limit = 100, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    this.begin();
    const out: DeadLetter[] = [];
    for (let i = this.dead.length - 1; i >= 0 && out.length < limit; i--) {
      const d = this.dead[i]!;
      if (deadMatches(d, filter)) out.push({ ...d });
    }
    return out;
  }

  async trace(messageId: string): Promise<MessageTrace | undefined> {
    const now = this.begin();
    const msg = this.messages.get(messageId);
    if (!msg) return undefined;
    return {
      message: structuredClone(msg.message),
      recipients: msg.jobs.map((j) => ({
        index: j.index,
        state: j.state,
        peer: j.peer,
        attempt: j.attempt,
        notifications: j.notifications,
        ...(j.lastError !== undefined ? { lastError: j.lastError } : {}),
        ...(this.isLeased(j, now) ? { leaseUntil: j.leaseUntil } : {}),
        history: j.history.map((e) => ({ ...e })),
      })),
    };
  }

  async deadLetter(messageId: string, recipientIndex: number): Promise<DeadLetter | undefined> {
    this.begin();
    const d = this.dead.find((x) => x.messageId === messageId && x.recipientIndex === recipientIndex);
    return d && { ...d };
  }

  async requeueDead(messageId: string, recipientIndex: number): Promise<RequeueOutcome> {
    const now = this.begin();
    const d = this.dead.find((x) => x.messageId === messageId && x.recipientIndex === recipientIndex);
    return d ? this.requeueOne(d, now) : 'unknown';
  }

  async requeueDeadOfPeer(peer: string): Promise<Record<Exclude<RequeueOutcome, 'unknown'>, number>> {
    const now = this.begin();
    const counts = { requeued: 0, expired: 0, gone: 0 };
    for (const d of this.dead.filter((x) => x.peer === peer)) counts[this.requeueOne(d, now) as keyof typeof counts] += 1;
    return counts;
  }

  async discardDead(messageId: string, recipientIndex: number): Promise<boolean> {
    this.begin();
    const i = this.dead.findIndex((x) => x.messageId === messageId && x.recipientIndex === recipientIndex);
    if (i < 0) return false;
    this.dead.splice(i, 1);
    return true;
  }

  async search(query: MessageSearch): Promise<MessageSearchPage> {
    const now = this.begin();
    return this.index.search(query, now);
  }

  /** A dead letter's job queued again (see Queue.requeueDead); the entry goes unless the message expired. */
  private requeueOne(d: DeadLetter, now: number): RequeueOutcome {
    const msg = this.messages.get(d.messageId);
    const job = msg?.jobs[d.recipientIndex];
    if (msg && job?.state === 'failed' && msg.message.expiresAt <= now) return 'expired';
    this.dead.splice(this.dead.indexOf(d), 1);
    if (!msg || !job || job.state !== 'failed') return 'gone';
    job.attempt = 0;
    job.due = now;
    this.record(job, now, 'queued', REQUEUED_DETAIL);
    msg.pending += 1;
    msg.removeAt = undefined;
    this.pendingJobs += 1;
    if (msg.pending === 1) this.expiries.push({ id: msg.message.id, at: msg.message.expiresAt });
    this.schedule(job);
    return 'requeued';
  }

  async stats(): Promise<QueueStats> {
    const now = this.begin();
    let leased = 0;
    for (const job of this.leased) if (job.leaseUntil >= now) leased++;
    return { waiting: this.pendingJobs - leased, leased, dead: this.dead.length };
  }

  async reportsPending(): Promise<number> {
    this.begin();
    return this.finals.size;
  }

  async peerStats(): Promise<PeerQueueStats[]> {
    const now = this.begin();
    const out: PeerQueueStats[] = [];
    for (const [peer, jobs] of this.peerJobs) {
      let leased = 0;
      for (const job of jobs.leased) if (job.leaseUntil >= now) leased++;
      const ready = this.peers.get(peer);
      const first = ready && this.firstReady(ready);
      out.push({ peer, waiting: jobs.pending - leased, leased, oldestDueMs: first && first.due <= now ? now - first.due : 0 });
    }
    return out;
  }

  async holdPeer(peer: string, hold: PeerHold): Promise<void> {
    this.begin();
    this.holds.set(peer, { ...hold });
  }

  async releasePeer(peer: string): Promise<boolean> {
    this.begin();
    return this.holds.delete(peer);
  }

  async peerHolds(): Promise<Map<string, PeerHold>> {
    this.begin();
    return new Map([...this.holds].map(([peer, hold]) => [peer, { ...hold }]));
  }

  async close(): Promise<void> {
    // Idempotent; drops everything (the backend is not durable) so that a closed queue holds no memory.
    this.closed = true;
    this.messages.clear();
    this.peers.clear();
    this.leased.clear();
    this.leaseEnds.clear();
    this.expiries.clear();
    this.expiring.clear();
    this.removals.clear();
    this.dead.length = 0;
    this.index.clear();
    this.pendingJobs = 0;
    this.finals.clear();
    this.peerJobs.clear();
    this.holds.clear();
    this.usedBytes = 0;
    this.stagedBytes = 0;
  }

  /** Remove the messages whose retention ended; the lazy sweep also runs at the start of every call. */
  sweep(): void {
    this.begin();
  }

  // --- internals ---

  /** Every call starts here: refuse when closed, read the clock once, drop messages past retention. */
  private begin(): number {
    if (this.closed) throw new Error('queue is closed');
    const now = this.options.now();
    for (let top = this.removals.peek(); top && top.at <= now; top = this.removals.peek()) {
      this.removals.pop();
      if (this.stale(top)) continue;
      this.remove(top.msg);
    }
    return now;
  }

  /** A removal entry of a message requeued since (pending again, or ended again later: a later entry stands). */
  private stale(entry: { msg: MessageRecord; at: number }): boolean {
    return entry.msg.pending > 0 || (entry.msg.removeAt ?? 0) > entry.at;
  }

  /** Let a finished message go: out of the index and out of the store's usage. */
  private remove(msg: MessageRecord): void {
    if (msg.removed) return;
    msg.removed = true;
    this.usedBytes -= msg.bytes + msg.historyBytes;
    // A message id may have been reused after an earlier removal: only remove this very record.
    if (this.messages.get(msg.message.id) === msg) this.messages.delete(msg.message.id);
  }

  /**
   * Room for a new message of `bytes` (countMessage: it adds one to the message count), or StoreFullError.
   * Finished messages kept for their retention are let go first, oldest first, while that helps.
   */
  private admit(bytes: number, countMessage = true): void {
    const fits = () =>
      (!countMessage || this.messages.size < this.limits.maxMessages) && this.usedBytes + this.stagedBytes + bytes <= this.limits.maxBytes;
    if (fits()) return;
    this.reclaim(fits);
    if (fits()) return;
    const limit = countMessage && this.messages.size >= this.limits.maxMessages ? 'messages' : 'bytes';
    throw new StoreFullError(limit, `store full: ${this.describeUsage()}; a message of ~${bytes} bytes does not fit`);
  }

  /**
   * Lets finished messages go before their retention ends, in the order they would have gone, until `done`
   * or one is reached whose delivery reports are not queued yet (it goes once they are: the report pump
   * acknowledges its final events within moments).
   */
  private reclaim(done: () => boolean): void {
    for (let top = this.removals.peek(); top && !done(); top = this.removals.peek()) {
      if (!top.msg.removed && top.msg.unreported > 0 && !this.stale(top)) break;
      this.removals.pop();
      if (this.stale(top)) continue;
      this.remove(top.msg);
    }
  }

  private describeUsage(): string {
    const u = this.usage();
    return `${u.messages} of ${u.maxMessages} messages, ~${u.bytes} of ${u.maxBytes} bytes (queue.memoryMaxMessages, queue.memoryMaxBytes)`;
  }

  /** Appends to a job's history, counting the entry in its message's bytes. */
  private addHistory(job: JobRecord, event: StateEvent): void {
    job.history.push(event);
    const n = eventBytes(event);
    job.msg.historyBytes += n;
    if (!job.msg.removed) this.usedBytes += n;
  }

  /** The job a lease token refers to; LeaseLostError once the lease was taken over or the job settled. */
  private held(job: LeasedJob): JobRecord {
    const msg = this.messages.get(job.messageId);
    const rec = msg?.jobs[job.recipientIndex];
    if (!rec || rec.lease === undefined || rec.lease !== job.lease) throw new LeaseLostError(job.messageId, job.recipientIndex);
    return rec;
  }

  private isLeased(job: JobRecord, now: number): boolean {
    return job.lease !== undefined && job.leaseUntil >= now;
  }

  private peerOf(name: string): PeerRecord {
    let peer = this.peers.get(name);
    if (!peer) {
      peer = { ready: new Heap((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq)), hideUntil: 0 };
      this.peers.set(name, peer);
    }
    return peer;
  }

  /** (Re)insert a job in its peer's ready heap at job.due; any older entry of the job goes stale. */
  private schedule(job: JobRecord): void {
    job.gen = ++this.gen;
    this.peerOf(job.peer).ready.push({ job, due: job.due, seq: job.seq, gen: job.gen });
  }

  /** The peer's first job waiting (due or not), stale entries dropped on the way. */
  private firstReady(peer: PeerRecord): ReadyEntry | undefined {
    for (let top = peer.ready.peek(); top; top = peer.ready.peek()) {
      if (top.gen === top.job.gen && !TERMINAL_STATES.has(top.job.state)) return top;
      peer.ready.pop();
    }
    return undefined;
  }

  /** Counts a job in (1) or out (-1) of its peer's pending jobs; a peer with none left is forgotten. */
  private countPeerJob(peer: string, delta: 1 | -1): void {
    let jobs = this.peerJobs.get(peer);
    if (!jobs) this.peerJobs.set(peer, (jobs = { pending: 0, leased: new Set() }));
    jobs.pending += delta;
    if (jobs.pending <= 0) this.peerJobs.delete(peer);
  }

  /** The peer's first job due by `now`, skipping stale entries. */
  private popDue(peer: PeerRecord, now: number): JobRecord | undefined {
    for (let top = peer.ready.peek(); top; top = peer.ready.peek()) {
      const job = top.job;
      if (top.gen !== job.gen || TERMINAL_STATES.has(job.state) || this.isLeased(job, now)) {
        peer.ready.pop();
        continue;
      }
      if (top.due > now) return undefined;
      peer.ready.pop();
      return job;
    }
    return undefined;
  }

  private lease(job: JobRecord, now: number): LeasedJob {
    job.attempt += 1;
    job.lease = randomUUID();
    job.leaseUntil = now + this.options.leaseMs;
    job.gen = ++this.gen;
    this.leased.add(job);
    this.peerJobs.get(job.peer)?.leased.add(job);
    this.leaseEnds.push({ job, lease: job.lease, leaseUntil: job.leaseUntil });
    this.record(job, now, 'delivering');
    return {
      messageId: job.msg.message.id,
      recipientIndex: job.index,
      peer: job.peer,
      attempt: job.attempt,
      notifications: job.notifications,
      maxAttempts: this.options.maxAttempts,
      lease: job.lease,
      leaseUntil: job.leaseUntil,
      message: structuredClone(job.msg.message),
    };
  }

  /**
   * A lease that ran out (its worker died or overran) makes the job due again, at its old due time and
   * with its attempt count. The token stays valid until the job is taken again, as types.ts allows.
   */
  private reclaimLostLeases(now: number): void {
    for (let top = this.leaseEnds.peek(); top && top.leaseUntil < now; top = this.leaseEnds.peek()) {
      this.leaseEnds.pop();
      const job = top.job;
      // Stale when the job was settled, re-leased or extended since this entry was pushed.
      if (job.lease !== top.lease || job.leaseUntil !== top.leaseUntil || TERMINAL_STATES.has(job.state)) continue;
      job.state = 'queued';
      this.addHistory(job, { at: now, state: 'queued', attempt: job.attempt, detail: 'lease ran out' });
      this.schedule(job);
    }
  }

  /** End every job of an expired message that no worker holds now; held ones end at their retry/ack. */
  private expireMessages(now: number): void {
    for (let top = this.expiries.peek(); top && top.at <= now; top = this.expiries.peek()) {
      this.expiries.pop();
      const msg = this.messages.get(top.id);
      if (msg && msg.message.expiresAt <= now && msg.pending > 0) this.expiring.add(msg);
    }
    for (const msg of this.expiring) {
      for (const job of msg.jobs) {
        if (!TERMINAL_STATES.has(job.state) && !this.isLeased(job, now)) this.finish(job, now, 'expired', expiredDetail(job));
      }
      if (msg.pending === 0) this.expiring.delete(msg);
    }
  }

  private release(job: JobRecord): void {
    job.lease = undefined;
    job.leaseUntil = 0;
    this.leased.delete(job);
    this.peerJobs.get(job.peer)?.leased.delete(job);
  }

  private record(job: JobRecord, now: number, state: RecipientState, detail?: string): void {
    job.state = state;
    const event: StateEvent = { at: now, state, attempt: job.attempt };
    if (detail !== undefined && detail !== '') event.detail = detail;
    this.addHistory(job, event);
  }

  private finish(job: JobRecord, now: number, state: RecipientState, detail?: string, report = true): void {
    this.release(job);
    this.record(job, now, state, detail);
    const m = job.msg.message;
    if (report && (m.deliveryReport || m.readReport)) {
      const event: FinalEvent = { id: String(++this.finalSeq), messageId: m.id, recipientIndex: job.index, state, attempt: job.attempt };
      if (detail !== undefined && detail !== '') event.detail = detail;
      this.finals.set(event.id, { event, handedUntil: 0, msg: job.msg });
      job.msg.unreported += 1;
    }
    job.gen = ++this.gen;
    this.pendingJobs -= 1;
    this.countPeerJob(job.peer, -1);
    const msg = job.msg;
    msg.pending -= 1;
    if (msg.pending === 0) {
      this.expiring.delete(msg);
      msg.removeAt = now + this.options.retentionMs;
      this.removals.push({ msg, at: msg.removeAt });
    }
  }

  /** Forget peers with nothing queued and no hide time pending, so that peer names do not accumulate. */
  private dropIdlePeers(now: number): void {
    for (const [name, peer] of this.peers) {
      if (peer.ready.size === 0 && peer.hideUntil <= now) this.peers.delete(name);
    }
  }
}
