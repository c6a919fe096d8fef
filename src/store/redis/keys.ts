import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Key layout. Queue keys are sharded by message id: shard N's keys all start `<prefix>:{sN}:`, so the hash
 * tag puts a message, its content, its jobs and the shard's indexes in one cluster slot (atomic enqueue
 * and take), while different shards spread over the cluster. Throttle keys are per peer: `<prefix>:{t:<peer>}:`.
 *
 *   {sN}:m:<id>        hash   message JSON, recipient count, pending count (only when the count is
 *                             not 1), report flag, and per recipient i: p<i> peer, s<i> state, a<i> attempt, l<i> lease token
 *                             (absent or empty: not leased; its end is the job's score in {sN}:leased),
 *                             e<i> last error, w<i> notifications (absent: none), h<i> history (lines
 *                             "at|state|attempt|detail", oldest first). The expiry is the message's score in {sN}:exp; max attempts are
 *                             the queue's setting.
 *   {sN}:c:<id>        string the parts, framed (content-frame.ts); written with a short TTL, which the
 *                      enqueue script turns into the message's
 *   {sN}:r:<peer>      zset   the peer's jobs by due time (ready, retrying, notified, deferred, delayed), scored
 *                             due ms * 1024 + a tie-break that keeps enqueue order within a millisecond
 *   {sN}:peers         zset   peer -> when it next has a visible due job (hidden peers: their hide time),
 *                             scored as the ready sets (ms * 1024)
 *   {sN}:hide          hash   peer -> hidden (throttled) until (ms); a held peer (Queue.holdPeer) is hidden
 *                             until HOLD_MARK_MS, far in the future (peer-holds.ts)
 *   holds              hash   peer -> PeerHold JSON: the peers held, store-wide (peer-holds.ts)
 *   {sN}:leased        zset   job -> lease end (ms)
 *   {sN}:exp           zset   message id -> expiresAt (ms)
 *   {sN}:dead          list   dead letters (JSON), newest first, capped
 *   {sN}:ev            stream terminal state events of messages that asked for a report
 *   {sN}:seq           counter for lease tokens
 *   {t:<peer>}:b       hash   token bucket (tokens, ts)
 *   {t:<peer>}:f       zset   lease token -> lease end: deliveries in flight
 *   {x:<to|from|acct>:<address>} zset message id -> receivedAt (ms): the search index (Queue.search) of a recipient
 *                             or originator address, written at enqueue; entries older than the index lifetime are
 *                             trimmed at each write, and the key expires that long after its last write
 *   {i:<scope>:<key>}  string an idempotency record (IdempotencyStore), with its TTL; each record in a slot
 *                             of its own (one key per call), so that records spread over the cluster. A
 *                             client's key of more than 64 characters, or with braces, is '#' + its SHA-256.
 */
export class KeySpace {
  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {
    if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new RangeError(`shards must be 1..1024, got ${shards}`);
    if (/[{}]/.test(prefix)) throw new RangeError('the key prefix must not contain { or } (they delimit hash tags)');
  }

  shardOf(messageId: string): number {
    return this.shards === 1 ? 0 : crc32(messageId) % this.shards; // one shard (the default): no hash to compute
  }

  /** `<prefix>:{sN}:`: every queue key of shard N starts with it. */
  shard(n: number): string {
    return `${this.prefix}:{s${n}}:`;
  }

  /** A message's content key, `<prefix>:{sN}:c:<id>` (a replacement stage is this plus `:next:<uuid>`). */
  content(messageId: string): string {
    return `${this.shard(this.shardOf(messageId))}c:${messageId}`;
  }

  shardName(n: number): string {
    return `s${n}`;
  }

  /** An idempotency record's key, `<prefix>:{i:<scope>:<key>}`. */
  idempotency(scope: string, key: string): string {
    const plain = key.length > 0 && key.length <= 64 && !/[{}#\s]/.test(key);
    const k = plain ? key : `#${createHash('sha256').update(key).digest('base64url')}`;
    return `${this.prefix}:{i:${scope.replace(/[{}]/g, '_')}:${k}}`;
  }

  /**
   * The search index of an address as recipient ('to') or originator ('from'), or of the account that submitted
   * ('acct', address `<iface>:<peer>`), `<prefix>:{x:<to|from|acct>:<address>}`.
   */
  searchIndex(direction: 'to' | 'from' | 'acct', address: string): string {
    const plain = address.length <= 128 && !/[{}\s]/.test(address);
    const a = plain ? address : `#${createHash('sha256').update(address).digest('base64url')}`;
    return `${this.prefix}:{x:${direction}:${a}}`;
  }

  throttle(peer: string): { bucket: string; slots: string } {
    // Braces in a peer id would end the hash tag early; they are not meaningful in peer ids anyway.
    const tag = `{t:${peer.replace(/[{}]/g, '_')}}`;
    return { bucket: `${this.prefix}:${tag}:b`, slots: `${this.prefix}:${tag}:f` };
  }
}
