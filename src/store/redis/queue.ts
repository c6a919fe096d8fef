import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { jobId, parseJobId, type CoreMessage, type RecipientState, type StateEvent } from '../../core/message.js';
import {
  COMPLETE_STATES,
  type CompleteState,
  LeaseLostError,
  type ContentStage,
  type DeadLetter,
  type DeadLetterFilter,
  type DeferOptions,
  type FinalEvent,
  type LeasedJob,
  type PeerHold,
  type PeerQueueStats,
  type MessageSearch,
  type MessageSearchPage,
  type MessageTrace,
  type Queue,
  type QueueStats,
  type RequeueOutcome,
  type RetrievalRead,
  type StagePurpose,
} from '../../core/ports.js';
import { parseHistory, RedisQueueAdmin } from './queue-admin.js';
import { RedisSearchIndex } from './search-index.js';
import { DEFAULT_QUEUE_OPTIONS, type QueueOptions } from '../options.js';
import { Batcher } from './batcher.js';
import { decodeParts, encodeParts, frameLength } from './content-frame.js';
import { RedisContentStage } from './content-stage.js';
import { setFrame } from './frame-set.js';
import type { KeySpace } from './keys.js';
import { RedisPeerHolds } from './peer-holds.js';
import { script, type ScriptArg, type ScriptCall } from './scripts.js';
import { coalescerFor, type WriteCoalescer } from './write-coalescer.js';

/** One operation of the settle script (see lua/settle-3.lua): op, job, lease token, two op arguments. */
type SettleOp = [
  op: 'ack' | 'retry' | 'wait' | 'defer' | 'postpone' | 'extend',
  job: string,
  lease: string,
  x: string | number,
  y: string | number,
];

/**
 * Instances sharing a key prefix disagree on the number of shards (a configuration error), or the queue in
 * Redis was written by a build with another key layout (see LAYOUT_VERSION).
 */
export class ShardLayoutError extends Error {
  override readonly name = 'ShardLayoutError';
  readonly code = 'SHARD_LAYOUT';
}

/** A message's content was not in Redis when its enqueue ran (a content write that failed or expired): not stored. */
export class ContentMissingError extends Error {
  override readonly name = 'ContentMissingError';
  readonly code = 'CONTENT_MISSING';
  constructor(
    readonly messageId: string,
    readonly incomplete: boolean,
  ) {
    super(`content ${incomplete ? 'incomplete' : 'missing'} for ${messageId}: message not stored`);
  }
}

/** One message of a batched enqueue (see lua/enqueue-2.lua): its arguments after the shared ones, and its jobs. */
interface EnqueueItem {
  args: ScriptArg[];
  jobs: number;
}

/**
 * Most jobs one enqueue script run creates: a batch of messages with long recipient lists is split, so that
 * no script holds Redis much longer than one such message alone would.
 */
const ENQUEUE_BATCH_JOBS = 1024;

/**
 * Most enqueues or settles in one script run. A turn's calls above this go as several runs, pipelined on the
 * connection: the first run's reply releases its callers, whose next calls go out while Redis still runs the
 * others. One run for a whole turn leaves Redis idle while the client builds the next one (64 enqueues in
 * flight: Redis busy 83-86 % of the time with runs of 64, 88-92 % with runs of 16; Redis CPU a message did
 * not measurably change, and the bench's cycle ran 11 % faster: bench/lib/queue-ab.ts, ADR 0001).
 */
const PIPELINED_BATCH = 16;

/** History lines are newline-separated: details (peer error texts) are kept to one line. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');

/** Bounds of what a shard keeps for operators: dead letters and the terminal-events stream. */
const DEAD_LETTER_CAP = 10_000;
const EVENTS_MAX = 100_000;
/** The consumer group the report generator reads the terminal-events streams with. */
const REPORT_GROUP = 'reports';
type StreamEntry = [string, string[]];
/**
 * TTL of content written ahead of its enqueue script, until the script gives it the message's: content whose
 * script is refused (Redis at maxmemory, or down between the two) must not hold memory for the message's
 * lifetime while senders retry.
 */
const PENDING_CONTENT_TTL_MS = 10 * 60_000;

/**
 * The version of the key layout and of what the scripts store in it (keys.ts), recorded with the shard count
 * as "<shards>:<version>". Builds that read the same keys differently must not share a queue: a build of
 * layout 1 (fractional due scores in ms, recorded as "<shards>" alone) would find every job of layout 2 due
 * in the far future, and layout 2 would find every job of layout 1 due now.
 *   2: ready-set and schedule scores are integers, due ms * 1024 plus a tie-break (lua/common.lua).
 */
const LAYOUT_VERSION = 2;

/** The state fields states() reads with the recipient count: those of messages of up to 4 recipients. */
const STATE_FIELDS = ['s0', 's1', 's2', 's3'];

/** Content and metadata never outlive their expiry by more than this, even if no worker ever runs. */
const SAFETY_TTL_MS = 3_600_000;

/**
 * The durable queue on Redis (or Redis Cluster): see keys.ts for the layout and lua/ for the scripts that
 * make each step atomic. One client (connection) serves every shard; ioredis pipelines concurrent calls.
 */
export class RedisQueue implements Queue {
  private readonly opts: QueueOptions;
  private readonly enqueueScript: ScriptCall;
  private readonly takeScript: ScriptCall;
  private readonly settleScript: ScriptCall;
  private readonly hideScript: ScriptCall;
  private readonly cancelScript: ScriptCall;
  private readonly replaceScript: ScriptCall;
  private readonly noteScript: ScriptCall;
  private readonly completeScript: ScriptCall;
  private nextShard = 0;
  private closed = false;
  private layout: Promise<void> | undefined;
  /** The layout check passed: enqueue and take skip it (and the await it costs) from then on. */
  private layoutChecked = false;
  /** This instance's name in the report consumer group. */
  private readonly consumer = `c-${randomUUID()}`;
  /** Settles and content reads of one turn go to Redis as one command per shard (batcher.ts). */
  private readonly settles: Batcher<SettleOp, string | number>;
  private readonly reads: Batcher<string, Buffer | null>;
  /** Enqueues of one turn: one script run per shard (group commit). */
  private readonly enqueues: Batcher<EnqueueItem, number | string>;
  /** The commands of one turn go out in one socket write (write-coalescer.ts). */
  private readonly writes: WriteCoalescer;
  /** Peer holds and per-peer stats (peer-holds.ts). */
  private readonly holds: RedisPeerHolds;
  /** The admin API's reads and requeues (queue-admin.ts), and the search index written at enqueue. */
  private readonly admin: RedisQueueAdmin;
  private readonly index: RedisSearchIndex;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: KeySpace,
    options: Partial<QueueOptions> = {},
  ) {
    this.opts = { ...DEFAULT_QUEUE_OPTIONS, ...options };
    this.enqueueScript = script(redis, 'mmscEnqueue');
    this.takeScript = script(redis, 'mmscTake');
    this.settleScript = script(redis, 'mmscSettle');
    this.hideScript = script(redis, 'mmscHide');
    this.cancelScript = script(redis, 'mmscCancel');
    this.replaceScript = script(redis, 'mmscReplace');
    this.noteScript = script(redis, 'mmscNote');
    this.completeScript = script(redis, 'mmscComplete');
    this.writes = coalescerFor(redis);
    this.holds = new RedisPeerHolds(redis, keys, () => this.opts.now());
    this.admin = new RedisQueueAdmin(redis, keys, this.opts.retentionMs + SAFETY_TTL_MS, () => this.opts.now());
    this.index = new RedisSearchIndex(redis, keys, this.opts.searchIndexMs ?? this.opts.retentionMs, () => this.opts.now());
    this.settles = new Batcher((p, ops) => this.settleBatch(p, ops), PIPELINED_BATCH);
    this.enqueues = new Batcher(
      (p, items) => this.enqueueBatch(p, items),
      PIPELINED_BATCH,
      (item) => item.jobs,
      ENQUEUE_BATCH_JOBS,
    );
    // MGET: every content key of a shard is in the shard's slot, so one MGET reads a batch, on Cluster too.
    this.reads = new Batcher((p, ids) => {
      this.writes.hold();
      return this.redis.mgetBuffer(...ids.map((id) => `${p}c:${id}`));
    });
  }

  private check(): void {
    if (this.closed) throw new Error('queue is closed');
  }

  /**
   * Every instance sharing a prefix must hash messages to the same shards, or jobs are settled in the
   * wrong shard, and must read the keys as they were written. The first instance records its shard count
   * and layout version; a later one with another count or version refuses to run.
   */
  private ensureLayout(): Promise<void> {
    this.layout ??= (async () => {
      const key = `${this.keys.prefix}:shards`;
      const record = `${this.keys.shards}:${LAYOUT_VERSION}`;
      await this.redis.set(key, record, 'NX');
      const stored = (await this.redis.get(key)) ?? '';
      if (stored !== record) {
        const [shards, version = '1'] = stored.split(':');
        if (Number(shards) !== this.keys.shards) {
          throw new ShardLayoutError(
            `queue ${this.keys.prefix} has ${shards} shards in Redis, this instance is configured with ${this.keys.shards}`,
          );
        }
        throw new ShardLayoutError(
          `queue ${this.keys.prefix} was written with key layout ${version}, this instance uses layout ${LAYOUT_VERSION}: drain it with the build that wrote it, or use another prefix`,
        );
      }
      this.layoutChecked = true;
    })();
    this.layout.catch(() => (this.layout = undefined)); // a failed check (Redis down) is tried again
    return this.layout;
  }

  private shardKeys(p: string): string[] {
    return [`${p}peers`, `${p}leased`, `${p}exp`];
  }

  stage(messageId: string, ttlMs: number, purpose: StagePurpose = 'message'): ContentStage {
    this.check();
    const contentKey = this.keys.content(messageId);
    if (purpose === 'message') {
      const messageKey = `${this.keys.shard(this.keys.shardOf(messageId))}m:${messageId}`;
      return new RedisContentStage(this.redis, messageId, contentKey, ttlMs, purpose, messageKey);
    }
    // A replacement is written beside the content it replaces (same hash tag), under a name of its own.
    return new RedisContentStage(this.redis, messageId, `${contentKey}:next:${randomUUID()}`, ttlMs, purpose);
  }

  /** The stage given to enqueue or replace, checked: of this queue, for this message and purpose. */
  private ownStage(content: ContentStage, messageId: string, purpose: StagePurpose): RedisContentStage {
    const contentKey = this.keys.content(messageId);
    if (
      !(content instanceof RedisContentStage) ||
      content.messageId !== messageId ||
      content.purpose !== purpose ||
      !content.key.startsWith(contentKey)
    ) {
      throw new Error(`message ${messageId}: content stage of another store or message`);
    }
    return content;
  }

  async enqueue(message: CoreMessage, content: readonly Buffer[] | ContentStage, peers: readonly string[]): Promise<void> {
    this.check();
    if (!this.layoutChecked) await this.ensureLayout();
    if (peers.length !== message.recipients.length) throw new RangeError('one peer per recipient');
    const now = this.opts.now();
    const p = this.keys.shard(this.keys.shardOf(message.id));
    // Times packed into one argument as whole milliseconds (the script reads them with %d+). A time that is
    // not a number is refused here: in the batch, it would make the script refuse its neighbours too.
    const ms = (t: number) => Math.max(0, Math.round(t));
    const due = ms(message.earliestDeliveryAt ?? now);
    if (!Number.isFinite(message.expiresAt) || !Number.isFinite(due))
      throw new RangeError(`message ${message.id}: expiresAt and earliestDeliveryAt must be times in ms`);
    const ttl = Math.max(1, message.expiresAt - now) + this.opts.retentionMs + SAFETY_TTL_MS;
    const contentKey = this.keys.content(message.id);
    // The content goes in a plain SET sent just before the script on the same connection (it arrives first),
    // with a short TTL: a 10 KB script argument costs Lua more than the whole rest of the enqueue, and content
    // whose script never runs expires on its own, soon. The script checks it is there and gives it the TTL.
    // Content: '0' none, '1' written just now (SET ... PX ... NX), '2' streamed into a stage (its last slice just now).
    let how: 0 | 1 | 2 = 0;
    let sealed: Awaited<ReturnType<RedisContentStage['seal']>> | undefined;
    if (!Array.isArray(content)) {
      sealed = await this.ownStage(content as ContentStage, message.id, 'message').seal();
      how = 2;
    } else if (content.length > 0) how = 1;
    this.writes.hold();
    // NX: a re-submission (same id: an edge redelivering after a lost response) must not overwrite the stored
    // message's content, nor cut its TTL to the short one; its script then finds the message and stores nothing.
    const written = how === 1 ? setFrame(this.redis, contentKey, content as readonly Buffer[], PENDING_CONTENT_TTL_MS) : sealed?.last?.();
    // The script runs at the end of this turn with the other enqueues of the shard; the content write above
    // goes out first, on the same connection.
    const dr = message.deliveryReport || message.readReport ? 1 : 0;
    const item: EnqueueItem = {
      args: [
        message.id,
        JSON.stringify(message),
        `${ms(message.expiresAt)} ${due} ${ms(ttl)} ${dr} ${how} ${how === 1 ? frameLength(content as readonly Buffer[]) : (sealed?.size ?? 0)}`,
        peers.length,
        ...peers,
      ],
      jobs: peers.length,
    };
    // The search index goes in the same write; its failure does not undo a stored message (it is only unfindable).
    const indexed = this.index.add(message, now).catch(() => undefined);
    const [, result] = await Promise.all([written, this.enqueues.add(p, item), indexed]);
    if (result === 'missing' || result === 'incomplete') throw new ContentMissingError(message.id, result === 'incomplete');
  }

  private async enqueueBatch(p: string, items: EnqueueItem[]): Promise<Array<number | string>> {
    const args: ScriptArg[] = [p, this.opts.now()];
    for (const item of items) for (const a of item.args) args.push(a);
    this.writes.hold();
    return (await this.enqueueScript([`${p}peers`, `${p}exp`], args)) as Array<number | string>;
  }

  async take(max: number, perPeer = 8): Promise<LeasedJob[]> {
    this.check();
    if (!this.layoutChecked) await this.ensureLayout();
    this.holds.maybeSync();
    const out: LeasedJob[] = [];
    // Visit shards round-robin from a rotating start, so that no shard starves the others.
    for (let i = 0; i < this.keys.shards && out.length < max; i++) {
      const n = (this.nextShard + i) % this.keys.shards;
      const p = this.keys.shard(n);
      const now = this.opts.now();
      this.writes.hold();
      const flat = (await this.takeScript(this.shardKeys(p), [
        p,
        now,
        max - out.length,
        perPeer,
        this.opts.leaseMs,
        this.opts.retentionMs,
        EVENTS_MAX,
        this.keys.shardName(n),
      ])) as Array<string | number>;
      if (flat.length === 0) continue;
      // What the take's jobs share comes once: the lease tokens' prefix (a job's token is it and the job id)
      // and the lease end. A message's JSON comes once per reply, with its first job.
      const tokens = String(flat[0]);
      const leaseUntil = Number(flat[1]);
      const messages = new Map<string, CoreMessage>();
      for (let k = 2; k < flat.length; k += 4) {
        const job = String(flat[k]);
        const ref = parseJobId(job);
        const json = String(flat[k + 3]);
        let message = messages.get(ref.messageId);
        if (json !== '' || !message) messages.set(ref.messageId, (message = JSON.parse(json) as CoreMessage));
        // "<attempt>" or, for a job that waited before, "<attempt>:<notifications>" (see take-3.lua).
        const [attempt, notifications = '0'] = String(flat[k + 2]).split(':');
        out.push({
          messageId: ref.messageId,
          recipientIndex: ref.recipientIndex,
          peer: String(flat[k + 1]),
          attempt: Number(attempt),
          notifications: Number(notifications),
          maxAttempts: this.opts.maxAttempts,
          lease: tokens + job,
          leaseUntil,
          message,
        });
      }
    }
    this.nextShard = (this.nextShard + 1) % this.keys.shards;
    return out;
  }

  private async settle(job: LeasedJob, op: SettleOp[0], x: string | number, y: string | number = ''): Promise<string> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(job.messageId));
    const r = await this.settles.add(p, [op, jobId(job.messageId, job.recipientIndex), job.lease, x, y]);
    if (r === -1) throw new LeaseLostError(job.messageId, job.recipientIndex);
    return String(r);
  }

  private async settleBatch(p: string, ops: SettleOp[]): Promise<Array<string | number>> {
    const args: ScriptArg[] = [p, this.opts.now(), this.opts.retentionMs, EVENTS_MAX, DEAD_LETTER_CAP, this.opts.maxAttempts];
    for (const op of ops) args.push(...op);
    this.writes.hold();
    return (await this.settleScript(this.shardKeys(p), args)) as Array<string | number>;
  }

  async extend(job: LeasedJob, leaseMs = this.opts.leaseMs): Promise<void> {
    const until = this.opts.now() + leaseMs;
    await this.settle(job, 'extend', until);
    job.leaseUntil = until;
  }

  async ack(job: LeasedJob, state: 'delivered' | 'rejected' | 'failed', detail?: string): Promise<void> {
    await this.settle(job, 'ack', state, oneLine(detail ?? ''));
  }

  async retry(job: LeasedJob, error: string, delayMs: number): Promise<'retrying' | 'failed' | 'expired'> {
    return (await this.settle(job, 'retry', oneLine(error), Math.max(0, Math.round(delayMs)))) as 'retrying' | 'failed' | 'expired';
  }

  async wait(job: LeasedJob, detail: string, delayMs: number): Promise<'notified' | 'expired'> {
    return (await this.settle(job, 'wait', oneLine(detail), Math.max(0, Math.round(delayMs)))) as 'notified' | 'expired';
  }

  async defer(job: LeasedJob, until: number, options: DeferOptions = {}): Promise<void> {
    const at = Math.round(until);
    const detail = oneLine(options.detail ?? '');
    // A policy's deferral holds this job only: the peer is not hidden, in this shard or any other.
    if (options.jobOnly) return void (await this.settle(job, 'postpone', at, detail));
    await this.settle(job, 'defer', at, detail);
    // The settle hid the peer in the job's shard; hide it in the others too, so that no shard hands out
    // its jobs before `until` (one small script each, sent together).
    const own = this.keys.shardOf(job.messageId);
    const others = [];
    for (let n = 0; n < this.keys.shards; n++) {
      if (n === own) continue;
      const p = this.keys.shard(n);
      others.push(this.hideScript([`${p}peers`, `${p}hide`], [job.peer, at]));
    }
    await Promise.all(others);
  }

  async cancel(messageId: string, detail: string): Promise<{ cancelled: number; inProgress: number } | undefined> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(messageId));
    const r = (await this.cancelScript(this.shardKeys(p), [
      p,
      messageId,
      this.opts.now(),
      oneLine(detail),
      this.opts.retentionMs,
      EVENTS_MAX,
    ])) as number | [number, number];
    if (!Array.isArray(r)) return undefined;
    return { cancelled: r[0], inProgress: r[1] };
  }

  async replace(message: CoreMessage, content?: readonly Buffer[] | ContentStage): Promise<'replaced' | 'too-late' | 'unknown'> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(message.id));
    const contentKey = this.keys.content(message.id);
    const stage =
      content === undefined || Array.isArray(content) ? undefined : this.ownStage(content as ContentStage, message.id, 'replacement');
    const parts = stage ? undefined : (content as readonly Buffer[] | undefined);
    // As in enqueue: the stage's last slice goes out in the same write as the script, which checks its size.
    const sealed = stage ? await stage.seal() : undefined;
    const args: ScriptArg[] = [
      p,
      message.id,
      JSON.stringify(message),
      stage ? 2 : parts ? 1 : 0,
      stage ? sealed!.size : parts && parts.length > 0 ? encodeParts(parts) : '',
      message.earliestDeliveryAt ?? '',
      this.opts.now(),
    ];
    this.writes.hold();
    const last = sealed?.last?.();
    const run = this.replaceScript([`${p}m:${message.id}`, contentKey, `${p}peers`, stage?.key ?? `${contentKey}:next:none`], args);
    const [, r] = await Promise.all([last, run]);
    return r as 'replaced' | 'too-late' | 'unknown';
  }

  async note(messageId: string, recipientIndex: number, detail: string): Promise<boolean> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(messageId));
    return (await this.noteScript([`${p}m:${messageId}`], [recipientIndex, this.opts.now(), oneLine(detail)])) === 1;
  }

  async complete(
    messageId: string,
    recipientIndex: number,
    state: CompleteState,
    detail: string,
    options: { report?: boolean } = {},
  ): Promise<'completed' | 'already-final' | 'unknown'> {
    this.check();
    if (!COMPLETE_STATES.has(state)) throw new Error(`complete: bad state ${String(state)}`);
    // Only a whole index names a recipient field (s<i>); anything else is no recipient, without a round trip.
    if (!Number.isInteger(recipientIndex) || recipientIndex < 0) return 'unknown';
    const p = this.keys.shard(this.keys.shardOf(messageId));
    const args: ScriptArg[] = [
      p,
      messageId,
      recipientIndex,
      state,
      oneLine(detail),
      this.opts.now(),
      this.opts.retentionMs,
      EVENTS_MAX,
      options.report === false ? 0 : 1,
    ];
    return (await this.completeScript(this.shardKeys(p), args)) as 'completed' | 'already-final' | 'unknown';
  }

  /** Consumer group of the terminal-events streams, created on first use (MKSTREAM: the stream may not exist yet). */
  private groups: Promise<void> | undefined;

  private ensureGroups(): Promise<void> {
    this.groups ??= (async () => {
      for (let n = 0; n < this.keys.shards; n++) {
        try {
          await this.redis.xgroup('CREATE', `${this.keys.shard(n)}ev`, REPORT_GROUP, '0', 'MKSTREAM');
        } catch (err) {
          if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
        }
      }
    })();
    this.groups.catch(() => (this.groups = undefined));
    return this.groups;
  }

  async finalEvents(max: number): Promise<FinalEvent[]> {
    this.check();
    await this.ensureGroups();
    const out: FinalEvent[] = [];
    for (let n = 0; n < this.keys.shards && out.length < max; n++) {
      const key = `${this.keys.shard(n)}ev`;
      const count = max - out.length;
      // First what a crashed consumer left unacknowledged for longer than a lease, then new entries.
      const claimed = (await this.redis.xautoclaim(key, REPORT_GROUP, this.consumer, this.opts.leaseMs, '0-0', 'COUNT', count)) as [
        string,
        StreamEntry[],
      ];
      let entries: StreamEntry[] = claimed[1].filter((e) => Array.isArray(e[1]));
      if (entries.length < count) {
        const fresh = (await this.redis.xreadgroup(
          'GROUP',
          REPORT_GROUP,
          this.consumer,
          'COUNT',
          count - entries.length,
          'STREAMS',
          key,
          '>',
        )) as Array<[string, StreamEntry[]]> | null;
        entries = entries.concat(fresh?.[0]?.[1] ?? []);
      }
      for (const [id, fields] of entries) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
        const { messageId, recipientIndex } = parseJobId(f.get('job') ?? '/0');
        const event: FinalEvent = {
          id: `${n}:${id}`,
          messageId,
          recipientIndex,
          state: (f.get('state') ?? 'failed') as RecipientState,
          attempt: Number(f.get('attempt') ?? 0),
        };
        const detail = f.get('detail');
        if (detail) event.detail = detail;
        out.push(event);
      }
    }
    return out;
  }

  async ackFinal(ids: readonly string[]): Promise<void> {
    this.check();
    const byShard = new Map<number, string[]>();
    for (const id of ids) {
      const colon = id.indexOf(':');
      const n = Number(id.slice(0, colon));
      byShard.set(n, [...(byShard.get(n) ?? []), id.slice(colon + 1)]);
    }
    await Promise.all([...byShard].map(([n, list]) => this.redis.xack(`${this.keys.shard(n)}ev`, REPORT_GROUP, ...list)));
  }

  async message(messageId: string): Promise<CoreMessage | undefined> {
    this.check();
    const json = await this.redis.hget(`${this.keys.shard(this.keys.shardOf(messageId))}m:${messageId}`, 'json');
    return json === null ? undefined : (JSON.parse(json) as CoreMessage);
  }

  async content(messageId: string): Promise<Buffer[] | undefined> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(messageId));
    const frame = await this.reads.add(p, messageId);
    if (frame) return decodeParts(frame);
    // No content: a message without parts, or no message at all.
    return (await this.redis.exists(`${p}m:${messageId}`)) ? [] : undefined;
  }

  async history(messageId: string, recipientIndex: number): Promise<StateEvent[]> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(messageId));
    return parseHistory(await this.redis.hget(`${p}m:${messageId}`, `h${recipientIndex}`));
  }

  async states(messageId: string): Promise<RecipientState[] | undefined> {
    this.check();
    const key = `${this.keys.shard(this.keys.shardOf(messageId))}m:${messageId}`;
    // The count and the first recipients' states in one read (most messages have one recipient, a retrieval
    // reads this for each); the rest, if any, in a second.
    const [n, ...first] = await this.redis.hmget(key, 'n', ...STATE_FIELDS);
    if (n === null || n === undefined) return undefined;
    const count = Number(n);
    const states = first.slice(0, count);
    if (count > STATE_FIELDS.length)
      states.push(
        ...(await this.redis.hmget(key, ...Array.from({ length: count - STATE_FIELDS.length }, (_, i) => `s${i + STATE_FIELDS.length}`))),
      );
    return states.map((s) => (s ?? 'expired') as RecipientState);
  }

  async retrieval(messageId: string): Promise<RetrievalRead | undefined> {
    this.check();
    const p = this.keys.shard(this.keys.shardOf(messageId));
    const key = `${p}m:${messageId}`;
    // The message's JSON with its recipient count and first states in one HMGET, and the content frame through
    // the batched reads (one MGET for the contents of every retrieval of this turn: measured in bench/mm1.ts,
    // a GET of its own per retrieval cost the server ~2x the CPU). Both go out in this turn, corked together.
    const [fields, frame] = await Promise.all([this.redis.hmget(key, 'json', 'n', ...STATE_FIELDS), this.reads.add(p, messageId)]);
    const [json, n, ...first] = fields;
    if (json === null || json === undefined || n === null || n === undefined) return undefined;
    const count = Number(n);
    const states = first.slice(0, count);
    if (count > STATE_FIELDS.length)
      states.push(
        ...(await this.redis.hmget(key, ...Array.from({ length: count - STATE_FIELDS.length }, (_, i) => `s${i + STATE_FIELDS.length}`))),
      );
    // No frame: a message without parts (the message itself is there).
    const content = frame ? decodeParts(frame) : [];
    if (!content) return undefined;
    return {
      message: JSON.parse(json) as CoreMessage,
      states: states.map((s) => (s ?? 'expired') as RecipientState),
      content,
    };
  }

  async deadLetters(limit = 100, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    this.check();
    if (filter) return this.admin.deadLetters(limit, filter);
    const all: DeadLetter[] = [];
    for (let n = 0; n < this.keys.shards; n++) {
      for (const s of await this.redis.lrange(`${this.keys.shard(n)}dead`, 0, limit - 1)) {
        const d = JSON.parse(s) as { job: string; peer: string; attempts: number; error: string; at: number };
        all.push({ ...parseJobId(d.job), peer: d.peer, attempts: d.attempts, error: d.error, at: d.at });
      }
    }
    return all.sort((a, b) => b.at - a.at).slice(0, limit);
  }

  async trace(messageId: string): Promise<MessageTrace | undefined> {
    this.check();
    return this.admin.trace(messageId);
  }

  async deadLetter(messageId: string, recipientIndex: number): Promise<DeadLetter | undefined> {
    this.check();
    return this.admin.deadLetter(messageId, recipientIndex);
  }

  async requeueDead(messageId: string, recipientIndex: number): Promise<RequeueOutcome> {
    this.check();
    return this.admin.requeueDead(messageId, recipientIndex);
  }

  async requeueDeadOfPeer(peer: string): Promise<Record<Exclude<RequeueOutcome, 'unknown'>, number>> {
    this.check();
    return this.admin.requeueDeadOfPeer(peer);
  }

  async discardDead(messageId: string, recipientIndex: number): Promise<boolean> {
    this.check();
    return this.admin.discardDead(messageId, recipientIndex);
  }

  async search(query: MessageSearch): Promise<MessageSearchPage> {
    this.check();
    return this.index.search(query);
  }

  async stats(): Promise<QueueStats> {
    this.check();
    let waiting = 0;
    let leased = 0;
    let dead = 0;
    for (let n = 0; n < this.keys.shards; n++) {
      const p = this.keys.shard(n);
      const peers = await this.redis.zrange(`${p}peers`, '0', '-1');
      // A lease that ran out is not held any more: its job is waiting (the next take reclaims it).
      const now = this.opts.now();
      leased += await this.redis.zcount(`${p}leased`, String(now), '+inf');
      waiting += await this.redis.zcount(`${p}leased`, '-inf', String(now - 1));
      dead += await this.redis.llen(`${p}dead`);
      const counts = await Promise.all(peers.map((peer) => this.redis.zcard(`${p}r:${peer}`)));
      for (const c of counts) waiting += c;
    }
    return { waiting, leased, dead };
  }

  async reportsPending(): Promise<number> {
    this.check();
    let n = 0;
    for (let shard = 0; shard < this.keys.shards; shard++) {
      const key = `${this.keys.shard(shard)}ev`;
      // XINFO GROUPS (Redis 7): `lag` = entries not yet read by the group, `pending` = read, not acknowledged.
      const groups = (await this.redis.xinfo('GROUPS', key).catch(() => [])) as unknown[][];
      const group = groups.find((g) => g[g.indexOf('name') + 1] === REPORT_GROUP);
      if (group === undefined) {
        n += await this.redis.xlen(key); // no generator has read it yet: every entry is owed
        continue;
      }
      const field = (name: string): number => Number(group[group.indexOf(name) + 1] ?? 0);
      n += field('pending') + field('lag');
    }
    return n;
  }

  peerStats(): Promise<PeerQueueStats[]> {
    this.check();
    return this.holds.peerStats();
  }

  holdPeer(peer: string, hold: PeerHold): Promise<void> {
    this.check();
    return this.holds.hold(peer, hold);
  }

  releasePeer(peer: string): Promise<boolean> {
    this.check();
    return this.holds.release(peer);
  }

  peerHolds(): Promise<Map<string, PeerHold>> {
    this.check();
    return this.holds.list();
  }

  /** Stops this queue object; the Redis connection belongs to the caller. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
