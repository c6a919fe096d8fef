// The Redis store on a real 3-master Redis Cluster started by this test: the shared behaviour suite with one
// shard, then what only shows with several shards: keys spread over the masters, every script stays in one
// slot (a CROSSSLOT or "non local key" error fails the test), a deferred peer is hidden in every shard, the
// throttle works for peers whose keys live on different masters, and a second shard layout is refused.
// Never skipped: without redis-server and redis-cli the test fails, saying how to install them.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import t from 'tap';
import type { Test } from 'tap';
import type { RedisContentStage } from '../../src/store/redis/content-stage.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { ShardLayoutError } from '../../src/store/redis/queue.js';
import type { LeasedJob, ThrottleGrant } from '../../src/core/ports.js';
import { idempotencySuite } from './idempotency-behaviour.js';
import { makeMessage, queueSuite, T0 } from './queue-behaviour.js';
import { startCluster } from '../helpers/redis-server.js';
import { testPrefix } from '../helpers/redis.js';

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

const missing = ['redis-server', 'redis-cli'].filter((cmd) => !onPath(cmd));
if (missing.length > 0) {
  const how =
    `the Redis Cluster test needs ${missing.join(' and ')} on PATH and is never skipped: ` +
    'install them with apt-get install redis-server (Debian/Ubuntu; it brings redis-cli, from redis-tools) or brew install redis.';
  t.fail(process.env.CI ? `CI: ${how}` : how);
} else {
  await main();
}

async function main(): Promise<void> {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  try {
    cluster = await startCluster();
  } catch (err) {
    t.fail(`could not start a 3-master Redis Cluster: ${(err as Error).message}`);
    return;
  }
  const client = new Cluster(cluster.nodes, { redisOptions: { connectTimeout: 5000 }, scaleReads: 'master' });
  const errors: string[] = [];
  client.on('error', (err: Error) => errors.push(err.message));
  t.teardown(async () => {
    await client.quit().catch(() => client.disconnect());
    await cluster.stop();
  });
  const ready = await Promise.race([
    new Promise<boolean>((r) => client.once('ready', () => r(true))),
    new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref()),
  ]);
  if (!ready) {
    t.fail(`the Cluster client did not become ready within 15 s: ${errors.join('; ')}`);
    return;
  }
  const masters = client.nodes('master');
  t.equal(masters.length, 3, 'the client sees three masters');

  /** Every key on one node matching a SCAN pattern (SCAN is per node: a cluster has no global keyspace). */
  async function keysOn(node: Redis, pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      out.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  /** Delete every key of one test, one DEL per key (keys of one test live in many slots). */
  async function dropKeys(prefix: string): Promise<void> {
    for (const node of client.nodes('master')) {
      for (const key of await keysOn(node, `*${prefix}*`)) await node.del(key);
    }
  }

  /** The slot ranges each master serves, by port, from CLUSTER SLOTS. */
  async function slotRanges(): Promise<Map<number, [number, number][]>> {
    const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const byPort = new Map<number, [number, number][]>();
    for (const [start, end, [, port]] of slots) byPort.set(Number(port), [...(byPort.get(Number(port)) ?? []), [start, end]]);
    return byPort;
  }

  /** The port of the master that serves `key`, by CLUSTER KEYSLOT and CLUSTER SLOTS. */
  async function ownerOf(key: string, ranges: Map<number, [number, number][]>): Promise<number> {
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
    for (const [port, rs] of ranges) if (rs.some(([a, b]) => slot >= a && slot <= b)) return port;
    throw new Error(`no master serves slot ${slot} (key ${key})`);
  }

  const portOf = (node: Redis): number => Number(node.options.port);

  // --- 1. The shared behaviour suite, one shard (the suite's ordering holds within a shard). ---
  queueSuite(t, 'cluster', async (opts) => {
    const prefix = testPrefix();
    const store = createRedisStore({ redis: client, prefix, shards: 1, ...opts });
    return {
      queue: store.queue,
      throttle: store.throttle,
      subscribers: store.subscribers,
      correlations: store.correlations,
      cleanup: async () => {
        await store.queue.close().catch(() => {});
        await store.throttle.close().catch(() => {});
        await dropKeys(prefix);
      },
    };
  });

  // --- 2. Sixteen shards over three masters. ---
  const SHARDS = 16;
  const SHARD_NAMES = Array.from({ length: SHARDS }, (_, n) => `s${n}`);

  function multiShard(tt: Test, clock: { now: number }) {
    const prefix = testPrefix();
    const store = createRedisStore({ redis: client, prefix, shards: SHARDS, now: () => clock.now });
    tt.teardown(() => dropKeys(prefix));
    return { prefix, ...store };
  }

  /** take(max) until a take comes back empty (every shard visited, nothing due), acking nothing. */
  async function drain(
    queue: { take(max: number): Promise<LeasedJob[]> },
    max = 32,
  ): Promise<{ jobs: LeasedJob[]; calls: number; biggest: number }> {
    const jobs: LeasedJob[] = [];
    let calls = 0;
    let biggest = 0;
    for (; calls < 1000; ) {
      const got = await queue.take(max);
      calls++;
      biggest = Math.max(biggest, got.length);
      if (got.length === 0) break;
      jobs.push(...got);
    }
    return { jobs, calls, biggest };
  }

  const PEERS = ['mm4:alpha', 'mm4:beta', 'mm7:gamma', 'smpp:delta'];

  t.test('cluster, 16 shards: 300 messages spread over all three masters and are all delivered', async (t) => {
    const clock = { now: T0 };
    const { prefix, queue } = multiShard(t, clock);
    // Message i has 3 recipients when i % 10 == 0, 2 when i % 10 == 5, else 1: 30*3 + 30*2 + 240*1 = 390
    // jobs. Recipient r of message i goes to PEERS[(i + r) % 4], so that a message's recipients go to
    // different peers.
    const expectedPeers = new Map<string, string[]>();
    for (let i = 0; i < 300; i++) {
      const n = i % 10 === 0 ? 3 : i % 10 === 5 ? 2 : 1;
      expectedPeers.set(
        `ms-${String(i).padStart(3, '0')}`,
        Array.from({ length: n }, (_, r) => PEERS[(i + r) % 4]),
      );
    }
    const entries = [...expectedPeers];
    for (let i = 0; i < entries.length; i += 50) {
      await Promise.all(
        entries.slice(i, i + 50).map(([id, peers]) =>
          queue.enqueue(
            makeMessage(
              id,
              peers.map((_, r) => `+1555000${r}`),
            ),
            [Buffer.from('hello'), Buffer.from([0, 1, 0x7f, 0xff])],
            peers,
          ),
        ),
      );
    }
    t.strictSame(await queue.stats(), { waiting: 390, leased: 0, dead: 0 }, 'stats add up the 16 shards');

    // (a) Where the keys are. Each master is asked for its own keys (SCAN and DBSIZE are per node).
    const ranges = await slotRanges();
    t.strictSame([...ranges.keys()].sort(), masters.map(portOf).sort(), 'CLUSTER SLOTS names the three masters');
    const keyRe = new RegExp(`^${prefix}:\\{(s\\d+)\\}:(m|c|j|h|r|peers|exp|seq|hide|leased|dead|ev)(?::(.*))?$`);
    const count: Record<string, number> = {};
    const tagsByMaster: string[][] = [];
    const tagsOfMessage = new Map<string, Set<string>>();
    const other: string[] = [];
    for (const node of masters) {
      const keys = await keysOn(node, `${prefix}:*`);
      const dbsize = await node.dbsize();
      const tags = new Set<string>();
      let messages = 0;
      for (const key of keys) {
        const m = keyRe.exec(key);
        if (!m) {
          other.push(key);
          continue;
        }
        const [, tag, kind, rest] = m;
        tags.add(tag);
        count[kind] = (count[kind] ?? 0) + 1;
        if (kind === 'm') messages++;
        if (kind === 'm' || kind === 'c') {
          const id = rest;
          tagsOfMessage.set(id, new Set([...(tagsOfMessage.get(id) ?? []), tag]));
        }
      }
      t.ok(messages > 0, `master :${portOf(node)} holds ${messages} of the 300 messages (${keys.length} keys)`);
      t.ok(dbsize >= keys.length && dbsize > 0, `master :${portOf(node)} DBSIZE ${dbsize} counts them`);
      // Every shard on this master has its hash slot in this master's ranges.
      for (const tag of tags)
        t.equal(await ownerOf(`{${tag}}`, ranges), portOf(node), `shard ${tag} lives on :${portOf(node)}, the owner of its slot`);
      tagsByMaster.push([...tags]);
    }
    // The search index (Queue.search) is per address, each key in a slot of its own (keys.ts: {x:to|from:<address>}).
    const index = other.filter((k) => k.startsWith(`${prefix}:{x:`));
    t.ok(index.length > 0, `the search index: ${index.length} address keys`);
    t.strictSame(
      other.filter((k) => !index.includes(k)),
      [`${prefix}:shards`],
      'the only other key outside a shard is the layout record',
    );
    t.strictSame(
      { m: count.m, c: count.c, j: count.j, h: count.h, peers: count.peers, exp: count.exp, seq: count.seq },
      { m: 300, c: 300, j: undefined, h: undefined, peers: 16, exp: 16, seq: 16 },
      'per message one hash (jobs and their histories are its fields) and one content string; shard indexes in every shard',
    );
    t.strictSame(tagsByMaster.flat().sort(), [...SHARD_NAMES].sort(), 'all 16 shards are used, each on exactly one master');
    t.ok(
      tagsByMaster.every((tags) => tags.length > 0),
      `shards per master: ${tagsByMaster.map((tags) => tags.length).join(', ')}`,
    );
    t.equal(tagsOfMessage.size, 300);
    t.ok(
      [...tagsOfMessage.values()].every((tags) => tags.size === 1),
      "a message's hash and content carry one hash tag (one slot: atomic enqueue)",
    );

    // (b) Take and ack everything, 32 at a time.
    const seen = new Set<string>();
    const wrong: string[] = [];
    let calls = 0;
    for (; calls < 100; calls++) {
      const jobs = await queue.take(32);
      if (jobs.length === 0) break;
      t.ok(jobs.length <= 32, `take(32) #${calls + 1} gave ${jobs.length}`);
      for (const job of jobs) {
        const key = `${job.messageId}/${job.recipientIndex}`;
        if (seen.has(key)) wrong.push(`${key} handed out twice`);
        seen.add(key);
        const peer = expectedPeers.get(job.messageId)?.[job.recipientIndex];
        if (job.peer !== peer || job.attempt !== 1)
          wrong.push(`${key}: peer ${job.peer} attempt ${job.attempt}, expected ${peer} attempt 1`);
      }
      await Promise.all(jobs.map((job) => queue.ack(job, 'delivered')));
    }
    t.equal(seen.size, 390, 'every job came out once');
    t.ok(calls >= 13, `at least 390 / 32 takes were needed (${calls})`);
    t.strictSame(wrong, [], 'every job carries its peer and attempt 1');
    const notDelivered: string[] = [];
    for (const [id, peers] of expectedPeers) {
      const states = await queue.states(id);
      if (JSON.stringify(states) !== JSON.stringify(peers.map(() => 'delivered'))) notDelivered.push(`${id}: ${JSON.stringify(states)}`);
    }
    t.strictSame(notDelivered, [], 'every recipient of the 300 messages ends delivered');
    t.strictSame(await queue.states('ms-000'), ['delivered', 'delivered', 'delivered']);
    t.strictSame(await queue.states('ms-005'), ['delivered', 'delivered']);
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });
    t.strictSame(await queue.take(32), [], 'nothing left in any shard');
  });

  t.test('cluster, 16 shards: a deferred peer is hidden in every shard, other peers are not', async (t) => {
    const clock = { now: T0 };
    const { prefix, queue } = multiShard(t, clock);
    // 160 messages for X, so that X has jobs in every shard (checked below, not assumed).
    for (let i = 0; i < 160; i += 40) {
      await Promise.all(
        Array.from({ length: 40 }, (_, k) =>
          queue.enqueue(makeMessage(`x${String(i + k).padStart(3, '0')}`, ['+1555000001']), [Buffer.from('x')], ['X']),
        ),
      );
    }
    const readySets: string[] = [];
    for (const node of masters) readySets.push(...(await keysOn(node, `${prefix}:{s*}:r:X`)));
    t.strictSame(readySets.sort(), SHARD_NAMES.map((s) => `${prefix}:{${s}}:r:X`).sort(), 'X has jobs waiting in all 16 shards');

    const first = await queue.take(1, 1);
    t.equal(first.length, 1);
    t.equal(first[0].peer, 'X');
    clock.now = T0 + 5;
    await queue.defer(first[0], T0 + 10_000); // X is throttled for 10 s
    // More jobs for X after the defer (their shards must hide them too), and 40 for Y.
    await Promise.all(
      Array.from({ length: 40 }, (_, k) => queue.enqueue(makeMessage(`x${160 + k}`, ['+1555000001']), [Buffer.from('x')], ['X'])),
    );
    await Promise.all(
      Array.from({ length: 40 }, (_, k) =>
        queue.enqueue(makeMessage(`y${String(k).padStart(2, '0')}`, ['+1555000002']), [Buffer.from('y')], ['Y']),
      ),
    );

    const hidden: string[] = [];
    for (const node of masters) {
      for (const key of await keysOn(node, `${prefix}:{s*}:hide`)) hidden.push(`${key}=${await node.hget(key, 'X')}`);
    }
    t.strictSame(
      hidden.sort(),
      SHARD_NAMES.map((s) => `${prefix}:{${s}}:hide=${T0 + 10_000}`).sort(),
      'X is hidden until T0+10000 in all 16 shards',
    );

    const before = await drain(queue);
    t.ok(before.biggest <= 32, `no take gave more than 32 (${before.biggest})`);
    t.equal(before.jobs.length, 40, "Y's 40 jobs come out while X is hidden");
    t.strictSame(
      before.jobs.filter((j) => j.peer !== 'Y').map((j) => `${j.messageId}/${j.recipientIndex} (${j.peer})`),
      [],
      'no job of X from any shard',
    );
    t.equal(new Set(before.jobs.map((j) => j.messageId)).size, 40, 'each of Y once');
    await Promise.all(before.jobs.map((j) => queue.ack(j, 'delivered')));

    clock.now = T0 + 9_999;
    t.strictSame(await queue.take(500, 500), [], 'X is still hidden 1 ms before its time');
    t.strictSame(await queue.stats(), { waiting: 200, leased: 0, dead: 0 }, "X's 200 jobs wait");

    clock.now = T0 + 10_000;
    const after = await drain(queue, 64);
    t.ok(after.calls >= 4, `200 jobs at 64 a take need at least 4 takes (${after.calls})`);
    t.equal(after.jobs.length, 200, "all of X's jobs come back at T0+10000");
    t.ok(
      after.jobs.every((j) => j.peer === 'X' && j.attempt === 1),
      'all X, all at attempt 1 (the deferred one too)',
    );
    t.equal(new Set(after.jobs.map((j) => j.messageId)).size, 200, 'each once');
    t.ok(
      after.jobs.some((j) => j.messageId === first[0].messageId),
      'the deferred job is among them',
    );
  });

  t.test('cluster: the throttle works for peers whose keys live on different masters', async (t) => {
    const clock = { now: T0 };
    const { prefix, throttle } = multiShard(t, clock);
    const ranges = await slotRanges();
    /** The first `<base>-<i>` peer per master: three peers on three masters. */
    async function peersOnEachMaster(base: string): Promise<Map<number, string>> {
      const chosen = new Map<number, string>();
      for (let i = 0; chosen.size < 3 && i < 1000; i++) {
        const port = await ownerOf(`${prefix}:{t:${base}-${i}}:b`, ranges);
        if (!chosen.has(port)) chosen.set(port, `${base}-${i}`);
      }
      return chosen;
    }
    const ratePeers = await peersOnEachMaster('rate');
    const capPeers = await peersOnEachMaster('cap');
    t.equal(ratePeers.size, 3, `rate peers: ${[...ratePeers.values()].join(', ')}`);
    t.equal(capPeers.size, 3, `cap peers: ${[...capPeers.values()].join(', ')}`);

    const grant = async (p: Promise<ThrottleGrant>) => {
      const r = await p;
      return { granted: r.granted, retryAfterMs: r.retryAfterMs, waitMs: r.waitMs };
    };
    const leases = (tag: string, n: number, leaseUntil: number) =>
      Array.from({ length: n }, (_, i) => ({ lease: `${tag}${i}`, leaseUntil }));
    const LATER = T0 + 3600_000;

    // Rate: 4/s, burst 1 -> interval 250 ms, tolerance 0, horizon 250 ms. Each step on the three peers in
    // turn: each has its own bucket, so each gets the same answer.
    const rate = { rate: 4, burst: 1, maxInFlight: 100 };
    const steps: [number, number, ThrottleGrant, string][] = [
      // TAT T0: the 1st goes now, the 2nd at T0+250 (exactly the horizon), the 3rd at T0+500: refused, retry in 250.
      [T0, 3, { granted: 2, retryAfterMs: 250, waitMs: [0, 250] }, 'now and one interval later; the third is past the horizon'],
      // TAT T0+500 is 251 ms away.
      [T0 + 249, 1, { granted: 0, retryAfterMs: 1, waitMs: [] }, '1 ms short of the horizon'],
      [T0 + 250, 1, { granted: 1, retryAfterMs: 0, waitMs: [250] }, 'exactly at the horizon'],
      // TAT T0+750: 500 ms away, 250 past the horizon.
      [T0 + 250, 1, { granted: 0, retryAfterMs: 250, waitMs: [] }, 'the schedule is full again'],
    ];
    for (const [at, n, expected, what] of steps) {
      clock.now = at;
      for (const peer of ratePeers.values()) {
        t.strictSame(
          await grant(throttle.acquire(peer, leases(`l${at - T0}-`, n, LATER), rate)),
          expected,
          `${peer} at T0+${at - T0}: ${what}`,
        );
      }
    }

    // In flight: 20/s, burst 2 -> interval 50, tolerance 50; at most 3 in flight.
    const cap = { rate: 20, burst: 2, maxInFlight: 3 };
    for (const peer of capPeers.values()) {
      clock.now = T0;
      // TAT T0: 1st at T0, 2nd at max(T0, T0+50-50) = T0, 3rd at T0+50; the cap stops the 4th and 5th.
      t.strictSame(
        await grant(throttle.acquire(peer, leases('a', 5, T0 + 1000), cap)),
        { granted: 3, retryAfterMs: 20, waitMs: [0, 0, 50] },
        `${peer}: three slots`,
      );
      await throttle.release(peer, 'a0');
      // TAT T0+150: the next goes at T0+100.
      t.strictSame(
        await grant(throttle.acquire(peer, [{ lease: 'm', leaseUntil: T0 + 5000 }], cap)),
        { granted: 1, retryAfterMs: 0, waitMs: [100] },
        `${peer}: the released slot is reused`,
      );
      t.strictSame(
        await grant(throttle.acquire(peer, [{ lease: 'n', leaseUntil: T0 + 5000 }], cap)),
        { granted: 0, retryAfterMs: 20, waitMs: [] },
        `${peer}: all three held`,
      );
      await throttle.release(peer, 'nobody');
      t.strictSame(
        await grant(throttle.acquire(peer, [{ lease: 'n', leaseUntil: T0 + 5000 }], cap)),
        { granted: 0, retryAfterMs: 20, waitMs: [] },
        `${peer}: an unknown lease frees nothing`,
      );
      clock.now = T0 + 1000; // a1 and a2 are held up to and including their lease end
      t.strictSame(
        await grant(throttle.acquire(peer, [{ lease: 'n', leaseUntil: T0 + 5000 }], cap)),
        { granted: 0, retryAfterMs: 20, waitMs: [] },
        `${peer}: leases held to their end`,
      );
      clock.now = T0 + 1001; // a1 and a2 ended without a release: two free slots, the bucket is full again
      t.strictSame(
        await grant(throttle.acquire(peer, leases('p', 3, T0 + 5000), cap)),
        { granted: 2, retryAfterMs: 20, waitMs: [0, 0] },
        `${peer}: ended leases free their slots`,
      );
    }

    // Where the throttle keys are: each peer's bucket and slots on the master that owns its slot, nowhere else.
    const found = new Map<string, number[]>();
    for (const node of masters) {
      for (const key of await keysOn(node, `${prefix}:{t:*`)) found.set(key, [...(found.get(key) ?? []), portOf(node)]);
    }
    const expected = new Map<string, number[]>();
    for (const [port, peer] of [...ratePeers, ...capPeers]) {
      expected.set(`${prefix}:{t:${peer}}:b`, [port]);
      expected.set(`${prefix}:{t:${peer}}:f`, [port]);
    }
    t.strictSame(
      Object.fromEntries([...found].sort()),
      Object.fromEntries([...expected].sort()),
      'bucket and slots of each peer on its own master',
    );
  });

  t.test('cluster: a store with another shard count on the same prefix is refused', async (t) => {
    const clock = { now: T0 };
    const { prefix, queue } = multiShard(t, clock);
    await queue.enqueue(makeMessage('layout-1', ['+1555000001']), [Buffer.from('x')], ['P']);
    t.equal(await client.get(`${prefix}:shards`), '16:2', 'the layout is recorded: shard count and layout version');
    const four = createRedisStore({ redis: client, prefix, shards: 4, now: () => clock.now });
    await t.rejects(four.queue.take(10), ShardLayoutError, 'take refused');
    await t.rejects(
      four.queue.enqueue(makeMessage('layout-2', ['+1555000001']), [Buffer.from('x')], ['P']),
      { name: 'ShardLayoutError', code: 'SHARD_LAYOUT' },
      'enqueue refused',
    );
    const one = createRedisStore({ redis: client, prefix, now: () => clock.now }); // the default, 1 shard
    await t.rejects(one.queue.take(10), { code: 'SHARD_LAYOUT', message: /has 16 shards in Redis, this instance is configured with 1/ });
    const stored: string[] = [];
    for (const node of masters) stored.push(...(await keysOn(node, `${prefix}:*layout-2*`)));
    t.strictSame(stored, [], 'the refused enqueue stored nothing');
    const same = createRedisStore({ redis: client, prefix, shards: 16, now: () => clock.now });
    const jobs = await same.queue.take(10);
    t.strictSame(
      jobs.map((j) => j.messageId),
      ['layout-1'],
      'an instance with the same layout works',
    );
  });

  // --- 3. Idempotency records (one key, one slot each) and the content stage a second copy discards. ---
  idempotencySuite(t, 'cluster', async () => {
    const prefix = testPrefix();
    const store = createRedisStore({ redis: client, prefix, shards: SHARDS });
    return { store: store.idempotency, pass: (ms) => new Promise((r) => setTimeout(r, ms)), cleanup: () => dropKeys(prefix) };
  });

  t.test('cluster: idempotency records spread over the masters; a stage discard keeps a stored message', async (t) => {
    const clock = { now: T0 };
    const { prefix, queue, idempotency } = multiShard(t, clock);
    for (let i = 0; i < 60; i++) await idempotency.claim('mm7-submit:V', `tx-${i}`, `m-${i}`, 60_000);
    const ranges = await slotRanges();
    const owners = new Set<number>();
    for (let i = 0; i < 60; i++) owners.add(await ownerOf(`${prefix}:{i:mm7-submit:V:tx-${i}}`, ranges));
    t.equal(owners.size, 3, 'records on all three masters');
    for (const id of ['dup-1', 'dup-2', 'dup-3']) {
      // Two copies of one request stage under one id (test/store/idempotency.test.ts has the story): the second
      // copy's enqueue stores the message on the first's content, then the first is discarded.
      const first = queue.stage(id, 60_000) as RedisContentStage;
      const second = queue.stage(id, 60_000);
      for (const s of [first, second]) {
        s.part().write(Buffer.alloc(70_000, 1));
        await s.drain();
      }
      await (await first.seal()).last?.();
      await queue.enqueue(
        makeMessage(id, ['+1555000001'], { parts: [{ index: 0, contentType: 'application/octet-stream', size: 70_000 }] }),
        second,
        ['P'],
      );
      await first.discard(); // its script reads the message key in the content key's slot
      t.equal((await queue.content(id))?.[0]?.length, 70_000, `${id}: content kept`);
    }
  });

  t.test('the cluster client saw no errors', async (t) => {
    t.strictSame(errors, []);
  });
}
