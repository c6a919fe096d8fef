import type { Cluster, Redis } from 'ioredis';
import { jobId, parseJobId, type CoreMessage, type RecipientState, type StateEvent } from '../../core/message.js';
import type { DeadLetter, DeadLetterFilter, MessageTrace, RecipientTrace, RequeueOutcome } from '../../core/ports.js';
import { deadMatches, REQUEUED_DETAIL } from '../dead-filter.js';
import type { KeySpace } from './keys.js';
import { script, type ScriptCall } from './scripts.js';

/** A recipient's history field, lines "at|state|attempt|detail" (the detail may contain '|'), as events. */
export function parseHistory(h: string | null | undefined): StateEvent[] {
  const events: StateEvent[] = [];
  for (const line of (h ?? '').split('\n')) {
    if (line === '') continue;
    const [at, state, attempt] = line.split('|', 3);
    const detail = line.slice(at!.length + state!.length + attempt!.length + 3);
    const e: StateEvent = { at: Number(at), state: state as RecipientState, attempt: Number(attempt) };
    if (detail !== '') e.detail = detail;
    events.push(e);
  }
  return events;
}

interface StoredDead {
  job: string;
  peer: string;
  attempts: number;
  error: string;
  at: number;
}

function toDeadLetter(d: StoredDead): DeadLetter {
  return { ...parseJobId(d.job), peer: d.peer, attempts: d.attempts, error: d.error, at: d.at };
}

/**
 * What the admin API asks of the Redis queue beyond delivery (Queue.trace, dead letters, see ports.ts): reads
 * of the message hash and the shards' dead-letter lists (keys.ts), and the requeue script (lua/requeue-3.lua).
 * Dead letters are a capped list per shard (10,000): the reads walk it whole, which an operator's call affords.
 */
export class RedisQueueAdmin {
  private readonly requeueScript: ScriptCall;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: KeySpace,
    /** ms the message and content are kept past its expiry, as enqueue sets them (retention + safety). */
    private readonly keepMs: number,
    private readonly now: () => number,
  ) {
    this.requeueScript = script(redis, 'mmscRequeue');
  }

  private shardOf(messageId: string): string {
    return this.keys.shard(this.keys.shardOf(messageId));
  }

  async trace(messageId: string): Promise<MessageTrace | undefined> {
    const p = this.shardOf(messageId);
    const h = await this.redis.hgetall(`${p}m:${messageId}`);
    if (h.json === undefined) return undefined;
    const message = JSON.parse(h.json) as CoreMessage;
    const n = Number(h.n ?? message.recipients.length);
    const recipients: RecipientTrace[] = [];
    for (let i = 0; i < n; i++) {
      const r: RecipientTrace = {
        index: i,
        state: (h[`s${i}`] ?? 'expired') as RecipientState,
        peer: h[`p${i}`] ?? '',
        attempt: Number(h[`a${i}`] ?? 0),
        notifications: Number(h[`w${i}`] ?? 0),
        history: parseHistory(h[`h${i}`]),
      };
      const error = h[`e${i}`];
      if (error) r.lastError = error;
      if (h[`l${i}`]) {
        const until = await this.redis.zscore(`${p}leased`, jobId(messageId, i));
        if (until !== null && Number(until) >= this.now()) r.leaseUntil = Number(until);
      }
      recipients.push(r);
    }
    return { message, recipients };
  }

  /** Every dead letter of every shard as stored (JSON text and parsed), newest first within a shard. */
  private async allDead(
    shards: number[] = [...Array(this.keys.shards).keys()],
  ): Promise<Array<{ raw: string; d: StoredDead; key: string }>> {
    const out: Array<{ raw: string; d: StoredDead; key: string }> = [];
    for (const n of shards) {
      const key = `${this.keys.shard(n)}dead`;
      for (const raw of await this.redis.lrange(key, 0, -1)) out.push({ raw, d: JSON.parse(raw) as StoredDead, key });
    }
    return out;
  }

  async deadLetters(limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    const all = (await this.allDead()).map((e) => e.d).filter((d) => deadMatches(d, filter));
    return all
      .sort((a, b) => b.at - a.at)
      .slice(0, limit)
      .map(toDeadLetter);
  }

  private async findDead(messageId: string, recipientIndex: number) {
    const job = jobId(messageId, recipientIndex);
    return (await this.allDead([this.keys.shardOf(messageId)])).find((e) => e.d.job === job);
  }

  async deadLetter(messageId: string, recipientIndex: number): Promise<DeadLetter | undefined> {
    const e = await this.findDead(messageId, recipientIndex);
    return e && toDeadLetter(e.d);
  }

  async discardDead(messageId: string, recipientIndex: number): Promise<boolean> {
    const e = await this.findDead(messageId, recipientIndex);
    // LREM of the exact entry: atomic, and 0 when another call took it meanwhile.
    return e !== undefined && (await this.redis.lrem(e.key, 1, e.raw)) > 0;
  }

  private run(p: string, mode: 'job' | 'peer', target: string): Promise<unknown> {
    return this.requeueScript([`${p}peers`, `${p}exp`, `${p}dead`], [p, this.now(), mode, target, this.keepMs, REQUEUED_DETAIL]);
  }

  async requeueDead(messageId: string, recipientIndex: number): Promise<RequeueOutcome> {
    return (await this.run(this.shardOf(messageId), 'job', jobId(messageId, recipientIndex))) as RequeueOutcome;
  }

  async requeueDeadOfPeer(peer: string): Promise<Record<Exclude<RequeueOutcome, 'unknown'>, number>> {
    const counts = { requeued: 0, expired: 0, gone: 0 };
    for (let n = 0; n < this.keys.shards; n++) {
      const [requeued, expired, gone] = (await this.run(this.keys.shard(n), 'peer', peer)) as [number, number, number];
      counts.requeued += requeued;
      counts.expired += expired;
      counts.gone += gone;
    }
    return counts;
  }
}
