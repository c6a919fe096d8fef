import type { Cluster, Redis } from 'ioredis';
import type { PeerHold, PeerQueueStats } from '../../core/ports.js';
import type { KeySpace } from './keys.js';
import { script, type ScriptCall } from './scripts.js';

/**
 * A held peer is hidden in every shard until this time (ms; the year 2223), the hide mechanism of throttled
 * peers (lua/hide-2.lua) reused: take never sees the peer, enqueue and every settle schedule it there, and no
 * script of the hot path changes. Below 2^53 / 1024, so that its schedule score (ms * 1024) stays exact.
 */
export const HOLD_MARK_MS = 8_000_000_000_000;

/** How often an instance reads the holds hash and applies what changed (another instance's hold half done). */
const SYNC_EVERY_MS = 1000;

/** Most leases one peerStats call looks at per shard (deliveries in flight of every instance: far fewer). */
const MAX_LEASES_SEEN = 10_000;

/**
 * Peer holds and per-peer stats of the Redis queue (Queue.holdPeer, releasePeer, peerHolds, peerStats).
 * What is held lives in one hash, `<prefix>:holds` (peer -> PeerHold JSON), read by the admin API of any
 * instance; the hold itself is the peer's hide time in each shard. A hold writes the hash, then hides the
 * peer in each shard; a release drops it from the hash, then unhides it. So that a hold an instance made
 * only half (it died between the two) still holds everywhere, every instance reads the hash at most once a
 * second (from its take loop) and applies what changed since its last look: holds are seen store-wide
 * within about a second even then, at the cost of one HGETALL a second per instance.
 */
export class RedisPeerHolds {
  private readonly hide: ScriptCall;
  private readonly unhide: ScriptCall;
  private readonly stats: ScriptCall;
  private readonly key: string;
  /** The holds hash as last read by sync (peer -> JSON). */
  private seen = new Map<string, string>();
  private lastSync = Number.NEGATIVE_INFINITY;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: KeySpace,
    private readonly now: () => number,
  ) {
    this.hide = script(redis, 'mmscHide');
    this.unhide = script(redis, 'mmscUnhide');
    this.stats = script(redis, 'mmscPeerStats');
    this.key = `${keys.prefix}:holds`;
  }

  async hold(peer: string, hold: PeerHold): Promise<void> {
    await this.redis.hset(this.key, peer, JSON.stringify(hold));
    await this.hideEverywhere(peer);
  }

  async release(peer: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.key, peer);
    await this.unhideEverywhere(peer);
    return removed > 0;
  }

  async list(): Promise<Map<string, PeerHold>> {
    const all = await this.redis.hgetall(this.key);
    return new Map(Object.entries(all).map(([peer, json]) => [peer, JSON.parse(json) as PeerHold]));
  }

  /** Called from each take: at most once a second, applies the holds other instances changed. Never throws. */
  maybeSync(): void {
    const now = Date.now();
    if (this.syncing || now - this.lastSync < SYNC_EVERY_MS) return;
    this.lastSync = now;
    this.syncing = this.sync()
      .catch(() => undefined) // Redis away: the next take's sync tries again
      .finally(() => (this.syncing = undefined));
  }

  /** Reads the holds hash and applies what changed since the last read (idempotent on every shard). */
  async sync(): Promise<void> {
    const all = await this.redis.hgetall(this.key);
    const now = new Map(Object.entries(all));
    for (const [peer, json] of now) if (this.seen.get(peer) !== json) await this.hideEverywhere(peer);
    for (const peer of this.seen.keys()) {
      // Released by another instance, which unhid it; done again in case it died half way. Read once more
      // right before, so that a hold made again meanwhile is not undone.
      if (!now.has(peer) && !(await this.redis.hexists(this.key, peer))) await this.unhideEverywhere(peer);
    }
    this.seen = now;
  }

  private async hideEverywhere(peer: string): Promise<void> {
    const runs = [];
    for (let n = 0; n < this.keys.shards; n++) {
      const p = this.keys.shard(n);
      runs.push(this.hide([`${p}peers`, `${p}hide`], [peer, HOLD_MARK_MS]));
    }
    await Promise.all(runs);
  }

  private async unhideEverywhere(peer: string): Promise<void> {
    const runs = [];
    for (let n = 0; n < this.keys.shards; n++) {
      const p = this.keys.shard(n);
      runs.push(this.unhide([`${p}peers`, `${p}hide`], [p, peer, HOLD_MARK_MS]));
    }
    await Promise.all(runs);
  }

  async peerStats(): Promise<PeerQueueStats[]> {
    const now = this.now();
    const byPeer = new Map<string, { waiting: number; leased: number; first: number }>();
    for (let n = 0; n < this.keys.shards; n++) {
      const p = this.keys.shard(n);
      const flat = (await this.stats([`${p}peers`, `${p}leased`], [p, now, MAX_LEASES_SEEN - 1])) as Array<string | number>;
      for (let k = 0; k + 3 < flat.length; k += 4) {
        const peer = String(flat[k]);
        const s = byPeer.get(peer) ?? { waiting: 0, leased: 0, first: -1 };
        s.waiting += Number(flat[k + 1]);
        s.leased += Number(flat[k + 2]);
        const first = Number(flat[k + 3]);
        if (first >= 0 && (s.first < 0 || first < s.first)) s.first = first;
        byPeer.set(peer, s);
      }
    }
    return [...byPeer].map(([peer, s]) => ({
      peer,
      waiting: s.waiting,
      leased: s.leased,
      oldestDueMs: s.first >= 0 && s.first <= now ? now - s.first : 0,
    }));
  }
}
