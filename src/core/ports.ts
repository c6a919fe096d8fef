import type { MediaProbe } from './media-probe.js';
import type { CoreMessage, RecipientState, StateEvent } from './message.js';

/**
 * The store-and-forward queue: messages with their content, and one delivery job per recipient, each
 * routed to a peer (an MM4 carrier, an MM7 VASP, an SMSC, the local MM1 side...). Two backends implement
 * it with the same semantics: redis/ (durable, shared by several gateway instances) and memory/ (embedded,
 * not durable). test/store/queue-behaviour.ts runs one suite against both.
 *
 * Delivery is at-least-once: a job is leased to one worker at a time; a worker that dies loses its lease
 * and the job is handed out again once the lease expires. Every call that settles a job presents the
 * lease token it was given, so a worker whose lease was taken over cannot settle the job (LeaseLostError).
 */
/** What a retrieval reads of a message (Queue.retrieval). */
export interface RetrievalRead {
  message: CoreMessage;
  states: RecipientState[];
  content: Buffer[];
}

export interface Queue {
  /**
   * Store the message, its content (one Buffer per part, in ContentRef.index order) and one job per
   * recipient, atomically: after this resolves, the message survives a crash of this process. `peers[i]`
   * is the peer that recipient i is routed to. Jobs are due at `message.earliestDeliveryAt` or now.
   * `content` may be a stage of this queue, made for `message.id`, that the parts were streamed into.
   * The parts may be read until this settles (the Redis store writes them to its socket uncopied, and
   * again after a reconnect): the caller must not change them before.
   */
  enqueue(message: CoreMessage, content: readonly Buffer[] | ContentStage, peers: readonly string[]): Promise<void>;

  /**
   * A place to write a message's parts to while they are still arriving (an edge streaming a large
   * request), so that the edge never holds a whole message: the parts go to the store in slices as they
   * come. Pass the stage to enqueue to accept the message, or discard it. A stage neither enqueued nor
   * discarded (the process died) disappears by itself after `ttlMs`.
   * `purpose` 'replacement': new content for the queued message `messageId`, for replace (MM7 ReplaceReq);
   * the message's content is untouched until replace takes the stage.
   */
  stage(messageId: string, ttlMs: number, purpose?: StagePurpose): ContentStage;

  /**
   * Lease up to `max` due jobs, at most `perPeer` of them for any one peer, from peers that are not
   * hidden (see defer). Jobs of expired messages are not returned: they end `expired` instead. Each job's
   * `attempt` is incremented by the take. Returns [] when nothing is due.
   * Order: a peer's jobs by due time, then enqueue order; when more is due than `max`, peers get max-min
   * fair shares (one job a peer per round). A Redis store with several shards (for Cluster) keeps this
   * order within each shard, visiting shards in rotation.
   */
  take(max: number, perPeer?: number): Promise<LeasedJob[]>;

  /** Extend a lease (long deliveries). */
  extend(job: LeasedJob, leaseMs?: number): Promise<void>;

  /** End a job: delivered, rejected (permanent refusal by the peer) or failed. */
  ack(job: LeasedJob, state: 'delivered' | 'rejected' | 'failed', detail?: string): Promise<void>;

  /**
   * A transient failure: the job is due again after `delayMs`, unless it has used its attempts
   * (job.attempt >= maxAttempts) or its message expires first: then it ends `failed` and goes to the dead
   * letters with `error` (or `expired`). Returns the resulting state.
   */
  retry(job: LeasedJob, error: string, delayMs: number): Promise<'retrying' | 'failed' | 'expired'>;

  /**
   * The recipient was told of the message and is to fetch it (DeliveryResult `waiting`: an MM1 notification
   * pushed): the job waits in state `notified`, the take's attempt given back (telling is not a failed
   * attempt, so waiting never dead-letters) and its `notifications` count one more. It is due again after
   * `delayMs` (a re-notification), or not before its message's expiry, which ends it `expired` then, as any
   * job not leased (the recipient may still fetch it until that moment). Ended from outside by complete.
   * 'expired' when the message expired already: ended now, with `detail`.
   */
  wait(job: LeasedJob, detail: string, delayMs: number): Promise<'notified' | 'expired'>;

  /**
   * Give a job back without using an attempt, because its peer is throttled (or, with `options.jobOnly`,
   * because a policy holds this one job back: quiet hours, a frequency cap): the job is due again at
   * `until` (epoch ms), and the peer's jobs are not handed out by this store before `until`, so that
   * workers spend no round trips on it meanwhile (no head-of-line blocking of other peers). With `jobOnly`
   * the peer stays visible. A job deferred past its message's expiry ends `expired` at the expiry, as any
   * job not leased.
   */
  defer(job: LeasedJob, until: number, options?: DeferOptions): Promise<void>;

  /**
   * Withdraw a message (MM7 CancelReq): every recipient that is neither terminal nor being delivered now
   * (under a live lease) ends `cancelled`; one being delivered finishes its attempt. Undefined for an
   * unknown message.
   */
  cancel(messageId: string, detail: string): Promise<{ cancelled: number; inProgress: number } | undefined>;

  /**
   * Replace a message not yet delivered (MM7 ReplaceReq): its model (same id and recipients), its content
   * when `content` is given, and the due time of its pending jobs when `message.earliestDeliveryAt` is set.
   * 'too-late' once a recipient is delivered or being delivered, or none is pending. `content` may be a
   * 'replacement' stage of this queue made for `message.id`; it is the message's content once 'replaced'.
   */
  replace(message: CoreMessage, content?: readonly Buffer[] | ContentStage): Promise<'replaced' | 'too-late' | 'unknown'>;

  /**
   * Add an entry to a recipient's history without changing its state (e.g. an SMSC delivery receipt that
   * arrives after the job ended). False for an unknown message or recipient.
   */
  note(messageId: string, recipientIndex: number, detail: string): Promise<boolean>;

  /**
   * End one recipient's job because the recipient itself said so, outside any worker (MM1: the handset
   * acknowledged its retrieval, or rejected the message): a job in any non-terminal state, leased or not,
   * ends in `state` with `detail`, its final event is emitted as for any other end, and a lease held on it
   * is voided (that worker's later ack/retry/extend gets LeaseLostError). 'already-final' when the recipient
   * had already ended (nothing changes), 'unknown' for an unknown message or recipient index.
   * `report: false`: the recipient does not allow a delivery report (MM1 X-Mms-Report-Allowed: No), so no
   * final event is emitted for it even if the message asked for reports; its history records the end as usual.
   * `expired` and `failed`: a peer carrier's delivery report says so (MM4 X-Mms-MM-Status-Code Expired,
   * Unreachable: TS 23.140 §8.4.2.1).
   */
  complete(
    messageId: string,
    recipientIndex: number,
    state: CompleteState,
    detail: string,
    options?: { report?: boolean },
  ): Promise<'completed' | 'already-final' | 'unknown'>;

  /**
   * Final states (delivered, rejected, failed, expired, cancelled) of recipients whose message asked for a
   * report, whoever ended them (a worker, or the store at expiry), oldest first, for the report generator.
   * An event handed out and not acknowledged with ackFinal within the lease time is handed out again (the
   * generator crashed): a report may be sent twice, never lost.
   */
  finalEvents(max: number): Promise<FinalEvent[]>;
  ackFinal(ids: readonly string[]): Promise<void>;

  message(messageId: string): Promise<CoreMessage | undefined>;
  content(messageId: string): Promise<Buffer[] | undefined>;
  /** The state history of one recipient, oldest first. */
  history(messageId: string, recipientIndex: number): Promise<StateEvent[]>;
  /** Current state of every recipient of a message. */
  states(messageId: string): Promise<RecipientState[] | undefined>;
  /**
   * message(), states() and content() of one message in one store round trip (the MM1 retrieval reads all
   * three for every handset fetch): undefined when the message is gone; content [] for a message without parts.
   */
  retrieval(messageId: string): Promise<RetrievalRead | undefined>;
  /** Dead letters (jobs that used their attempts), newest first; `filter`: of one peer, with a reason. */
  deadLetters(limit?: number, filter?: DeadLetterFilter): Promise<DeadLetter[]>;

  // --- for the admin API (src/ops/admin/) ---

  /** A message's whole state for an operator: per recipient its state, peer, attempt, last error, history. */
  trace(messageId: string): Promise<MessageTrace | undefined>;
  /** The dead letter of one recipient, if it is one. */
  deadLetter(messageId: string, recipientIndex: number): Promise<DeadLetter | undefined>;
  /**
   * Give a dead letter another chance: its job is queued again, due now, with fresh attempts, and the entry
   * leaves the dead letters, atomically. 'expired': its message expired (the entry stays, to be discarded);
   * 'gone': the message is no longer stored, or the recipient is no longer failed (the entry is dropped);
   * 'unknown': no such dead letter. A delivery report of the failure may have gone already: a later success
   * sends another.
   */
  requeueDead(messageId: string, recipientIndex: number): Promise<RequeueOutcome>;
  /** requeueDead for every dead letter of `peer`; counts by outcome. */
  requeueDeadOfPeer(peer: string): Promise<Record<Exclude<RequeueOutcome, 'unknown'>, number>>;
  /** Drop a dead letter (the recipient stays failed). False when there was none. */
  discardDead(messageId: string, recipientIndex: number): Promise<boolean>;
  /**
   * Messages by recipient or originator address in a time window (receivedAt), newest first, a page at a
   * time, from an index written at enqueue whose entries live QueueOptions.searchIndexMs.
   */
  search(query: MessageSearch): Promise<MessageSearchPage>;
  /** Counts for metrics and tests. */
  stats(): Promise<QueueStats>;

  /**
   * Per peer with jobs in the queue (waiting or leased): its counts and how long its first job has been
   * due, for the admin API and the per-peer gauges. Cheap enough to scrape: its cost grows with the number
   * of peers (O(log n) each) and of deliveries in flight, never with the backlog.
   */
  peerStats(): Promise<PeerQueueStats[]>;
  /**
   * Final events not yet acknowledged (finalEvents/ackFinal): delivery and read reports owed to originators
   * that the report generator has not turned into messages yet. A backlog here means reports are late.
   */
  reportsPending(): Promise<number>;

  /**
   * Hold a peer, store-wide (every instance sharing the store): none of its jobs are handed out by take
   * until releasePeer, none is lost or uses an attempt meanwhile (messages still expire). Deliveries in
   * flight finish; peerStats counts them (`leased`) until they are settled. A second hold replaces the first.
   */
  holdPeer(peer: string, hold: PeerHold): Promise<void>;
  /** End a hold: the peer's due jobs are handed out again at once. False when the peer was not held. */
  releasePeer(peer: string): Promise<boolean>;
  /** Every peer held now, as the store holds them (whichever instance held them). */
  peerHolds(): Promise<Map<string, PeerHold>>;

  close(): Promise<void>;
}

/** The final states a recipient can be ended in from outside (Queue.complete). */
export type CompleteState = 'delivered' | 'rejected' | 'expired' | 'failed';
export const COMPLETE_STATES: ReadonlySet<string> = new Set<CompleteState>(['delivered', 'rejected', 'expired', 'failed']);

/**
 * What the gateway knows about a subscriber besides routing, shared by every instance: opted out (the
 * subscriber sent STOP: nothing more is sent to it), and text-only (its handset takes no MMS: the text SMS
 * fallback is used instead). Keyed by canonical address (+E.164).
 */
export interface SubscriberStore {
  get(address: string): Promise<SubscriberFlags>;
  setOptedOut(address: string, optedOut: boolean): Promise<void>;
  setTextOnly(address: string, textOnly: boolean): Promise<void>;
}

/**
 * Short-lived correlations shared by every instance: a peer's id for something we sent (an SMSC's
 * message_id, later an MM4 Message-ID) -> our job, so that the receipt that comes back later, perhaps to
 * another instance, finds it. Entries expire on their own.
 */
export interface CorrelationStore {
  put(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | undefined>;
}

/**
 * Records of requests already carried out, shared by every instance, so that a client's retry of a request
 * whose answer it never got (the gateway died, the connection broke) is recognised instead of carried out
 * again. A record is a key the client chose (an MM7 VASP's TransactionID of a SubmitReq; a REST
 * Idempotency-Key) within a scope (what it is for and whose: `mm7-submit:<vasp>`) -> a value the caller
 * makes (e.g. the Message-ID it stores the request under and a fingerprint of the request). It lives
 * `ttlMs` from its claim, then the key is free again.
 *
 * The record is claimed before the request is carried out, and the first request's value is what a retry
 * gets: a caller stores the request under the id the record names, and the queue stores an id once
 * (Queue.enqueue), so the message exists at most once whether the first request crashed before, during or
 * after its enqueue, and whether two copies run at once.
 */
export interface IdempotencyStore {
  /**
   * Record `value` under (scope, key) for `ttlMs` unless a live record is there, atomically: of two claims
   * at once (two instances), one records and both get its value. `first`: the record is this claim's.
   */
  claim(scope: string, key: string, value: string, ttlMs: number): Promise<IdempotencyClaim>;
  /**
   * Drop the record of (scope, key) if it still holds `value` (the claim that made it: never another's), when
   * nothing was stored under it, so that a retry starts afresh instead of waiting for the record to expire.
   */
  release(scope: string, key: string, value: string): Promise<void>;
}

export interface IdempotencyClaim {
  /** The value of the live record: this claim's when `first`, else the one recorded before. */
  value: string;
  first: boolean;
}

// -- issue 24 ports (consent registry, frequency counters, media store, API key activity): one block each, here

/**
 * When each API key of an account was last used (issue 24, "Accounts and keys"), shared by every instance so
 * that the admin API shows the latest use whichever instance served it. Written at most once a minute per key
 * per instance (src/vasp/api-key-usage.ts): a time to the minute, never a write per request.
 */
export interface ApiKeyActivity {
  /** Record that key `name` of account `vasp` was used at `at` (ms since the epoch). */
  touch(vasp: string, name: string, at: number): Promise<void>;
  /** The recorded last-used times (ms) of the account's keys, by key name (a key never used: absent). */
  lastUsed(vasp: string): Promise<Map<string, number>>;
}

/** A sender's frequency caps for one subscriber (issue 24): rolling windows, unset = no cap. */
export interface FrequencyCaps {
  /** Most sends in any rolling 24 h. */
  maxPerDay?: number;
  /** Most sends in any rolling 7 days. */
  maxPerWeek?: number;
}

/** Counted (ok), or over a cap: `until` is when a send would fit again (the window frees up), `cap` which one. */
export type FrequencyAnswer = { ok: true } | { ok: false; until: number; cap: 'day' | 'week' };

/**
 * Marketing sends per (sender, subscriber), shared by every instance: check-and-count in one atomic step, so
 * that two instances delivering at once cannot both pass the last free place. `token` names the send (the
 * job id): a token counted before is answered ok without counting again, so that a counted message tried
 * again (a retry, a throttled job given back) is neither counted twice nor stopped by its own count.
 */
export interface FrequencyStore {
  take(sender: string, subscriber: string, token: string, caps: FrequencyCaps): Promise<FrequencyAnswer>;
}

/** How Queue.defer gives a job back. */
export interface DeferOptions {
  /** Why, for the job's history (e.g. "quiet hours until 08:00 America/New_York"). */
  detail?: string;
  /**
   * Only this job is held back (a policy's deferral): its peer is not hidden, the peer's other jobs go on.
   * Unset: the throttle's deferral, which hides the whole peer until `until`.
   */
  jobOnly?: boolean;
}

/**
 * Media of the sender's API (issue 24), shared by every instance: uploads (POST /v1/media) by id, and media
 * fetched by URL re-hosted under a cache key (src/rest/media/). Each record is its bytes and a small JSON
 * `meta` the caller makes, kept `ttlMs`; an entry past its TTL is gone.
 */
export interface MediaStore {
  /** Store (or replace) a record. */
  put(kind: MediaRecordKind, key: string, record: MediaRecord, ttlMs: number): Promise<void>;
  get(kind: MediaRecordKind, key: string): Promise<MediaRecord | undefined>;
  /** Replace the meta of a record still there (its bytes kept) and give it `ttlMs` more; false when it is gone. */
  touch(kind: MediaRecordKind, key: string, meta: string, ttlMs: number): Promise<boolean>;
  delete(kind: MediaRecordKind, key: string): Promise<void>;
}

/**
 * `upload`: POST /v1/media by id; `url`: fetched media by cache key (the account and the URL). Issue 25 keeps
 * its shared records here too (src/adapt/): `uaprof` (a parsed UAProf, or a failure remembered, by profile
 * URL; no bytes), `handset` (the profile URL and User-Agent a subscriber's handset last named, by address; no
 * bytes), `adapted` (a message's content adapted for a capability class, by `<messageId>/<class>`).
 */
export type MediaRecordKind = 'upload' | 'url' | 'uaprof' | 'handset' | 'adapted';

export interface MediaRecord {
  meta: string;
  bytes: Buffer;
}

/** A subscriber's consent to one sender's messages (issue 24): `pending` = double opt-in asked, waiting for YES. */
export type ConsentState = 'opted-in' | 'opted-out' | 'pending';
/** How the consent was given or withdrawn. */
export type ConsentSource = 'keyword' | 'web' | 'import' | 'api' | 'admin';
export const CONSENT_STATES: readonly ConsentState[] = ['opted-in', 'opted-out', 'pending'];
export const CONSENT_SOURCES: readonly ConsentSource[] = ['keyword', 'web', 'import', 'api', 'admin'];

/** One change of a subscriber's consent: to what, by what, when (ms), and its proof (the MO text and id, a form URL and IP...). */
export interface ConsentChange {
  state: ConsentState;
  source: ConsentSource;
  at: number;
  proof?: string;
}

/** One (sender, subscriber) pair's consent as it is now. */
export interface ConsentEntry extends ConsentChange {
  sender: string;
  subscriber: string;
}

/** The pair's consent now and its last changes (oldest first, bounded: see ConsentStore). */
export interface ConsentRecord extends ConsentEntry {
  history: ConsentChange[];
}

/**
 * The consent registry (issue 24, docs/consent.md): per sender (short code or sender id) and subscriber, the
 * current state and the history of its changes (the last `historyLimit`), shared by every instance.
 */
export interface ConsentStore {
  /** The pair's record; undefined when it has none (never asked: no opt-in). */
  get(sender: string, subscriber: string): Promise<ConsentRecord | undefined>;
  /** Record a change: the pair's state becomes it, and it is appended to the history. */
  set(sender: string, subscriber: string, change: ConsentChange): Promise<void>;
  /**
   * Every current entry of one sender (or of every sender), in pages read from the store as they are
   * consumed: never the whole registry in memory. An entry changed during the scan may be seen twice or not.
   */
  export(sender?: string): AsyncIterable<ConsentEntry>;
  /**
   * Many entries at once (an import): each appended to its pair's history, and made current unless the pair
   * has a newer change already (an old list does not undo a later STOP). Returns how many became current.
   */
  import(entries: readonly ConsentEntry[]): Promise<number>;
}

export interface SubscriberFlags {
  optedOut: boolean;
  textOnly: boolean;
}

export interface LeasedJob {
  messageId: string;
  recipientIndex: number;
  peer: string;
  /** 1 on the first take. */
  attempt: number;
  /** Times the job was settled `wait` (notifications sent): 0 until the first. */
  notifications: number;
  maxAttempts: number;
  /** Fencing token of this lease. */
  lease: string;
  leaseUntil: number;
  /** The message, so that a worker needs no second round trip (content is fetched separately). */
  message: CoreMessage;
}

/** See Queue.stage. Parts are written one after the other: part(), its writes, its end(). */
/** What a stage is for: the content of a new message (enqueue), or new content of a queued one (replace). */
export type StagePurpose = 'message' | 'replacement';

export interface ContentStage {
  readonly messageId: string;
  readonly purpose: StagePurpose;
  /** Starts the next part; its bytes follow through the returned writer. */
  part(): { write(bytes: Buffer): void; end(): void };
  /** Decoded bytes written so far, every part included. */
  readonly bytes: number;
  /**
   * Each part's probe, in order (core/media-probe.ts: its first bytes, size, UTF-8 and NUL checks), recorded
   * as it was written, so that Intake checks the parts' types without reading them back from the store.
   * Ends the parts: call it once everything is written.
   */
  probes(): readonly MediaProbe[];
  /** Resolves once every write so far is stored; rejects with the store's error if one failed. */
  drain(): Promise<void>;
  /** Drop what was written (the message was refused); safe to call more than once, or after a failure. */
  discard(): Promise<void>;
}

export interface FinalEvent {
  /** Opaque; give it back to ackFinal. */
  id: string;
  messageId: string;
  recipientIndex: number;
  state: RecipientState;
  attempt: number;
  detail?: string;
}

export interface DeadLetter {
  messageId: string;
  recipientIndex: number;
  peer: string;
  attempts: number;
  error: string;
  at: number;
}

/** Which dead letters deadLetters lists: of one peer, and/or whose error contains `reason` (any case). */
export interface DeadLetterFilter {
  peer?: string;
  reason?: string;
}

export type RequeueOutcome = 'requeued' | 'expired' | 'gone' | 'unknown';

/** One recipient's job as Queue.trace shows it. */
export interface RecipientTrace {
  index: number;
  state: RecipientState;
  peer: string;
  /** Attempts used (the take counts one; wait and defer give theirs back). */
  attempt: number;
  notifications: number;
  lastError?: string;
  /** Leased to a worker now, until this time (epoch ms). */
  leaseUntil?: number;
  history: StateEvent[];
}

export interface MessageTrace {
  message: CoreMessage;
  recipients: RecipientTrace[];
}

export interface MessageSearch {
  /** `account`: the messages a peer submitted, `address` = `<iface>:<peer>` of their origin (issue 24). */
  by: 'recipient' | 'originator' | 'account';
  address: string;
  /** Window of receivedAt, epoch ms, both inclusive. */
  from: number;
  to: number;
  /** Page size. */
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface MessageSearchPage {
  /** Newest first; a message may be gone from the store while its index entry lives on (callers check). */
  hits: Array<{ messageId: string; at: number }>;
  /** Present when there may be more: pass it back as `cursor`. */
  next?: string;
}

export interface QueueStats {
  /** Jobs due or waiting for their time (ready + delayed). */
  waiting: number;
  /** Jobs leased to a worker now. */
  leased: number;
  dead: number;
}

/** One peer's part of the queue (Queue.peerStats). */
export interface PeerQueueStats {
  peer: string;
  /** Jobs not being delivered: due, scheduled later (retries, deferred), or notified and waiting. */
  waiting: number;
  /** Jobs being delivered now (a live lease). */
  leased: number;
  /** How long the peer's earliest due job has been due (ms); 0 when none is due. */
  oldestDueMs: number;
}

/**
 * Why a peer is held (Queue.holdPeer): `paused` (an operator stopped deliveries to it) or `draining` (the
 * same, asked in order to see the deliveries in flight finish); who asked (the admin token's name), when.
 */
export interface PeerHold {
  mode: 'paused' | 'draining';
  by: string;
  at: number;
}

/** What a store with limits of its own (the embedded one) holds against them; bytes are estimated. */
export interface StoreUsage {
  messages: number;
  bytes: number;
  maxMessages: number;
  maxBytes: number;
}

/** Per-peer limits: a token bucket (rate per second, burst) and a cap on deliveries in flight. */
export interface PeerLimits {
  rate: number;
  burst: number;
  maxInFlight: number;
}

/** How far ahead the throttle schedules deliveries (a worker waits at most this long): 250 ms. */
export const THROTTLE_HORIZON_MS = 250;

/**
 * Per-peer throttle shared by every gateway instance. The rate limit is a token bucket (rate, burst) in its
 * GCRA form: acquire asks for n deliveries and is granted the first g <= n of them, each with a wait
 * (waitMs[i], within THROTTLE_HORIZON_MS) after which it may be sent, so that the peer sees an even stream
 * at its rate; each granted delivery holds an in-flight slot (one per lease). A delivery of `cost` k takes k
 * tokens at once, all or none (an m-send-req to k recipients from one subscriber): it may go once the
 * bucket holds k, and k must not exceed the burst or it never will. When g < n, retryAfterMs says
 * when the next one could be granted: when the schedule is full, the time until the next delivery falls
 * inside the horizon; when the in-flight cap was the limit, a short pause (20 ms), because slots free up as
 * deliveries end. release frees a slot; a slot whose lease ended frees itself (a crashed worker does not
 * leak capacity).
 */
export interface Throttle {
  acquire(peer: string, leases: readonly ThrottleLease[], limits: PeerLimits): Promise<ThrottleGrant>;
  release(peer: string, lease: string): Promise<void>;
  close(): Promise<void>;
}

/** One delivery asked of a throttle: the in-flight slot it holds until `leaseUntil`, and the tokens it takes (default 1). */
export interface ThrottleLease {
  lease: string;
  leaseUntil: number;
  cost?: number;
}

export interface ThrottleGrant {
  granted: number;
  retryAfterMs: number;
  /** For each granted delivery, how long to wait before sending it (0 = now). */
  waitMs: number[];
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly code = 'LEASE_LOST';
  constructor(
    readonly messageId: string,
    readonly recipientIndex: number,
  ) {
    super(`lease on ${messageId}/${recipientIndex} is no longer held`);
  }
}

/**
 * The store refuses a new message, or more staged content, because it is full: the embedded store at its
 * configured limits (queue.memoryMaxMessages, queue.memoryMaxBytes). Transient, like Redis' OOM error at
 * maxmemory: the edges answer "try later" (MM7 3001, REST 503, MM1 Error-transient-network-problem), jobs
 * already queued are still taken, settled and delivered, and accepting resumes as they free room.
 */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
  readonly code = 'STORE_FULL';
  readonly transient = true;
  constructor(
    /** The limit that refused: the number of messages held, or their estimated bytes. */
    readonly limit: 'messages' | 'bytes',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The store cannot be reached now (Redis down, restarting, or not connected yet): nothing was read or
 * written. Transient by nature: every edge answers it with its "try later" status (MM7 3001, REST 503, MM1
 * a transient Response-Status, SMPP ESME_RX_T_APPN). Thrown at once, without waiting for a reconnect, and
 * named for what it is rather than after the Redis client's internals.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message = 'Redis unreachable') {
    super(message);
  }
}
