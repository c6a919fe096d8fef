import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { MediaRecord, MediaRecordKind, MediaStore } from '../../core/ports.js';

/**
 * Media records as one hash per record, `<prefix>:{med:<kind>:<key>}` with fields `m` (meta) and `b` (bytes)
 * and a TTL: one key per call, in a slot of its own (Cluster-safe), so that records spread over the cluster.
 * A key of more than 64 characters, or with braces or spaces (a cache key holds a URL), is '#' + its SHA-256.
 */
export class RedisMediaStore implements MediaStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** The record's key, `<prefix>:{med:<kind>:<key>}`. */
  key(kind: MediaRecordKind, key: string): string {
    const plain = key.length > 0 && key.length <= 64 && !/[{}#\s]/.test(key);
    const k = plain ? key : `#${createHash('sha256').update(key).digest('base64url')}`;
    return `${this.prefix}:{med:${kind}:${k}}`;
  }

  async put(kind: MediaRecordKind, key: string, record: MediaRecord, ttlMs: number): Promise<void> {
    const k = this.key(kind, key);
    await this.redis
      .multi()
      .del(k)
      .hset(k, 'm', record.meta, 'b', record.bytes)
      .pexpire(k, Math.max(1, Math.round(ttlMs)))
      .exec()
      .then(failed);
  }

  async get(kind: MediaRecordKind, key: string): Promise<MediaRecord | undefined> {
    const [meta, bytes] = await this.redis.hmgetBuffer(this.key(kind, key), 'm', 'b');
    if (!meta || !bytes) return undefined;
    return { meta: meta.toString('utf8'), bytes };
  }

  async touch(kind: MediaRecordKind, key: string, meta: string, ttlMs: number): Promise<boolean> {
    // Only while the record is there: a record gone between the read and the touch is not made again without its bytes.
    const touched = (await this.redis.eval(TOUCH, 1, this.key(kind, key), meta, Math.max(1, Math.round(ttlMs)))) as number;
    return Number(touched) === 1;
  }

  async delete(kind: MediaRecordKind, key: string): Promise<void> {
    await this.redis.del(this.key(kind, key));
  }
}

const TOUCH = `if redis.call('HEXISTS', KEYS[1], 'b') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'm', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** A MULTI's results: the first command error, thrown. */
function failed(results: [Error | null, unknown][] | null): void {
  for (const [err] of results ?? []) if (err) throw err;
}
