import type { Cluster, Redis } from 'ioredis';
import type { CoreMessage } from '../../core/message.js';
import type { MessageSearch, MessageSearchPage } from '../../core/ports.js';
import { after, decodeCursor, encodeCursor } from '../../core/search-cursor.js';
import type { KeySpace } from './keys.js';

/** The key of each kind of search (keys.ts searchIndex). */
const DIRECTION = { recipient: 'to', originator: 'from', account: 'acct' } as const;

/** Most entries of one millisecond a page looks through after a cursor (one address, one ms: never near it). */
const TIES_MAX = 10_000;

/**
 * One index write in this many also trims its key (ZREMRANGEBYSCORE): the trim bounds a key that never goes
 * quiet long enough to expire, and need not run at every write (a command less per address on the enqueue
 * path). Searches never show entries past the lifetime, trimmed or not.
 */
const TRIM_EVERY = 16;

/**
 * The Redis store's search index (Queue.search): a sorted set per address and direction, message id scored
 * by receivedAt (keys.ts: `{x:<to|from>:<address>}`, each in a slot of its own, so that an address' index
 * is one key on a Cluster). Written by the client beside the enqueue script (the keys are in other slots
 * than the shard's), in the same socket write: ZADD and PEXPIRE (the key's TTL is the lifetime, so an index
 * lives at most `lifetimeMs` after its last message), and one write in TRIM_EVERY trims the entries older than
 * the lifetime. An entry whose
 * enqueue was refused names a message that is not stored: the caller skips it.
 * Cost: docs/operations.md ("Admin API", search index memory).
 */
export class RedisSearchIndex {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: KeySpace,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {}

  private writes = 0;

  /** The index writes of one message (resolves when Redis answered them all). */
  add(message: CoreMessage, now: number): Promise<unknown> {
    if (this.lifetimeMs <= 0) return Promise.resolve();
    const keys = new Set([
      this.keys.searchIndex('from', message.originator.address),
      ...message.recipients.map((r) => this.keys.searchIndex('to', r.address)),
      // The account's own submissions only (the sender's API lists them): not the reports and events queued back to it.
      ...(message.report || message.ack ? [] : [this.keys.searchIndex('acct', `${message.origin.iface}:${message.origin.peer}`)]),
    ]);
    const at = String(Math.round(message.receivedAt));
    const oldest = `(${Math.round(now - this.lifetimeMs)}`;
    const writes: Array<Promise<unknown>> = [];
    for (const key of keys) {
      writes.push(this.redis.zadd(key, at, message.id), this.redis.pexpire(key, this.lifetimeMs));
      if (++this.writes % TRIM_EVERY === 0) writes.push(this.redis.zremrangebyscore(key, '-inf', oldest));
    }
    return Promise.all(writes);
  }

  async search(q: MessageSearch): Promise<MessageSearchPage> {
    const key = this.keys.searchIndex(DIRECTION[q.by], q.address);
    const position = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    // Entries past the lifetime are not shown even where no trim took them yet.
    const from = Math.max(q.from, Math.round(this.now() - this.lifetimeMs));
    const want = q.limit + 1; // one more than the page: whether there is a next one
    const hits: MessageSearchPage['hits'] = [];
    let max = String(q.to);
    if (position && position.at <= q.to) {
      // The rest of the cursor's millisecond: ids below the cursor's (a reverse range orders ties by id, descending).
      if (position.at >= from) {
        const ties = await this.redis.zrangebyscore(key, position.at, position.at, 'LIMIT', 0, TIES_MAX);
        for (let i = ties.length - 1; i >= 0 && hits.length < want; i--) {
          if (after(position.at, ties[i]!, position)) hits.push({ messageId: ties[i]!, at: position.at });
        }
      }
      max = `(${position.at}`;
    }
    if (hits.length < want) {
      const flat = await this.redis.zrevrangebyscore(key, max, from, 'WITHSCORES', 'LIMIT', 0, want - hits.length);
      for (let i = 0; i + 1 < flat.length; i += 2) hits.push({ messageId: flat[i]!, at: Number(flat[i + 1]) });
    }
    const page: MessageSearchPage = { hits: hits.slice(0, q.limit) };
    const last = page.hits[page.hits.length - 1];
    if (hits.length > q.limit && last) page.next = encodeCursor({ at: last.at, messageId: last.messageId });
    return page;
  }
}
