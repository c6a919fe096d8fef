/**
 * The floor under bench/queue.ts' cycle: the least any Redis queue must do for a message that is stored
 * durably, handed out under a lease and acknowledged, run in the same shape (same client, same connection
 * handling, same concurrency) so that the two figures compare. Per message:
 *   enqueue: SET of the 10 KB content (short TTL), then one script: PEXPIRE of the content (it is there),
 *            HSET of the message JSON, PEXPIRE of the message, ZADD into one ready set;
 *   take:    one script a batch: ZPOPMIN n, then per job HGET of the JSON and one ZADD of the leases;
 *   ack:     one script a batch (per turn, like the queue's settles): per job ZREM of the lease and
 *            PEXPIRE of message and content to a short retention.
 * Left out, each of which the gateway's queue needs (issue 3): per-peer ready sets and the peer schedule
 * (no head-of-line blocking), per-recipient state, attempt counts and history, lease tokens (fencing), the
 * expiry index, the sequence tie-break, hidden (throttled) peers, the events for delivery reports, lease
 * reclaim, the content frame (one part is stored as it is). So this is not a queue to use: it is the bound
 * the real one can at best approach with this client and this Redis on this machine, printed beside it to
 * tell the design's cost from the platform's.
 */
import type { Redis } from 'ioredis';
import type { CoreMessage } from '../../src/core/message.js';
import { Batcher } from '../../src/store/redis/batcher.js';
import { WriteCoalescer } from '../../src/store/redis/write-coalescer.js';
import type { LeasedJob } from '../../src/core/ports.js';
import type { CycleQueue } from './queue-worker.js';

const ENQUEUE = `
if redis.call('PEXPIRE', KEYS[2], ARGV[2]) == 0 then return redis.error_reply('content missing') end
redis.call('HSET', KEYS[1], 'json', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1`;

const TAKE = `
local ids = redis.call('ZPOPMIN', KEYS[1], ARGV[2])
local out, leases = {}, {}
for x = 1, #ids, 2 do
  local id = ids[x]
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', ARGV[1] .. 'm:' .. id, 'json')
  leases[#leases + 1] = ARGV[3]
  leases[#leases + 1] = id
end
if #leases > 0 then redis.call('ZADD', KEYS[2], unpack(leases)) end
return out`;

const ACK = `
for a = 3, #ARGV do
  local id = ARGV[a]
  redis.call('ZREM', KEYS[1], id)
  redis.call('PEXPIRE', ARGV[1] .. 'm:' .. id, ARGV[2])
  redis.call('PEXPIRE', ARGV[1] .. 'c:' .. id, ARGV[2])
end
return #ARGV - 2`;

const LEASE_MS = 60_000;
const RETENTION_MS = 60_000;
const TTL_MS = 24 * 3600_000;

/** See the file's comment. One hash tag, as one shard of the real queue. */
export class FloorQueue implements CycleQueue {
  private readonly p: string;
  private readonly writes: WriteCoalescer;
  private readonly acks: Batcher<string, number>;
  private readonly shas: Promise<{ enqueue: string; take: string; ack: string }>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.p = `${prefix}:{f}:`;
    this.writes = new WriteCoalescer(redis);
    this.acks = new Batcher(async (_group, ids) => {
      this.writes.hold();
      const n = Number(await this.script('ack', [`${this.p}leased`], [this.p, RETENTION_MS, ...ids]));
      return ids.map(() => n);
    });
    const load = (lua: string) => redis.script('LOAD', lua) as Promise<string>;
    this.shas = Promise.all([load(ENQUEUE), load(TAKE), load(ACK)]).then(([enqueue, take, ack]) => ({ enqueue, take, ack }));
  }

  private async script(name: 'enqueue' | 'take' | 'ack', keys: string[], args: Array<string | number>): Promise<unknown> {
    const sha = (await this.shas)[name];
    return this.redis.evalsha(sha, keys.length, ...keys, ...args);
  }

  async enqueue(message: CoreMessage, content: readonly Buffer[]): Promise<void> {
    const id = message.id;
    this.writes.hold();
    const set = this.redis.set(`${this.p}c:${id}`, content[0]!, 'PX', 600_000);
    const run = this.script(
      'enqueue',
      [`${this.p}m:${id}`, `${this.p}c:${id}`, `${this.p}ready`],
      [JSON.stringify(message), TTL_MS, Date.now(), id],
    );
    await Promise.all([set, run]);
  }

  async take(max: number): Promise<LeasedJob[]> {
    const until = Date.now() + LEASE_MS;
    this.writes.hold();
    const flat = (await this.script('take', [`${this.p}ready`, `${this.p}leased`], [this.p, max, until])) as string[];
    const jobs: LeasedJob[] = [];
    for (let k = 0; k < flat.length; k += 2) {
      const message = JSON.parse(flat[k + 1]!) as CoreMessage;
      jobs.push({
        messageId: flat[k]!,
        recipientIndex: 0,
        peer: '',
        attempt: 1,
        notifications: 0,
        maxAttempts: 1,
        lease: '',
        leaseUntil: until,
        message,
      });
    }
    return jobs;
  }

  async ack(job: LeasedJob): Promise<void> {
    await this.acks.add('', job.messageId);
  }

  content(): Promise<Buffer[] | undefined> {
    return Promise.reject(new Error('the floor queue does not read content'));
  }
}
