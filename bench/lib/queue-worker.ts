/**
 * The queue benchmark's unit of work, shared by bench/queue.ts: one producer + consumer cycle on the Redis
 * queue (enqueue, take, ack; optionally a content read before the ack), shaped as a gateway instance runs it:
 * many concurrent enqueues (the edges) and the worker pool's take loop.
 *
 * bench/queue.ts imports runCycle for the one-process figure, and spawns this file (dist/bench/lib/queue-worker.js)
 * for the two-process figure. As a process it reads REDIS_URL, PREFIX, MESSAGES, PROCS, TAG (and READ_CONTENT=1,
 * IN_FLIGHT, BATCH, PER_PEER, WINDOW) from the environment, warms up, prints "ready", waits for "go" on stdin (so that both processes start together and
 * start-up is not timed), runs the cycle and prints one JSON line (CycleResult).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { CoreMessage } from '../../src/core/message.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import type { LeasedJob } from '../../src/core/ports.js';
import { textMessage } from '../../test/helpers/messages.js';

/** 10 KB of content in one part: a typical small MMS (a text and a thumbnail). */
export const CONTENT = randomBytes(10 * 1024);
/** Recipients are spread over a few peers, so that one take (max 32, 8 per peer by default) fills up. */
export const PEERS = 8;

/** A minimal one-recipient message: the tests' text message carrying CONTENT as a picture. */
export function benchMessage(id: string, now = Date.now()): CoreMessage {
  return textMessage(id, 1, now, {
    contentType: 'application/vnd.wap.multipart.mixed',
    parts: [{ index: 0, contentType: 'image/jpeg', size: CONTENT.length }],
    origin: { iface: 'mm7', peer: 'vasp-bench' },
  });
}

/** What the cycle uses of a queue: the gateway's Redis queue, or bench/lib/queue-floor.ts' bare one. */
export interface CycleQueue {
  enqueue(message: CoreMessage, content: readonly Buffer[], peers: readonly string[]): Promise<void>;
  take(max: number, perPeer?: number): Promise<LeasedJob[]>;
  ack(job: LeasedJob, state: 'delivered'): Promise<void>;
  content(messageId: string): Promise<Buffer[] | undefined>;
}

export interface CycleOptions {
  messages: number;
  /** Enqueue calls in flight (an edge accepting many submissions at once). */
  inFlight: number;
  /** take(batch, perPeer): the worker pool's batch. */
  batch: number;
  perPeer: number;
  /**
   * Deliveries in progress at once, as src/core/worker-pool.ts keeps them (its `concurrency`, default 64):
   * the consumer takes min(free, batch) whenever a slot is free and never waits for a whole batch to finish.
   */
  window: number;
  /** Read each job's content before the ack (what a delivering worker sends on); off: enqueue + take + ack only. */
  readContent: boolean;
  /** Message ids are `<idPrefix>-<n>`: unique across processes sharing a prefix. */
  idPrefix: string;
  /**
   * Whether every producer (of every process) has finished. Asked only once this process' producer has,
   * before a take: if it says yes and the take comes back empty, every job is leased somewhere, so we stop.
   */
  allProduced?: () => Promise<boolean>;
  /** Called once this process' producer has finished (a process tells the others). */
  onProduced?: () => Promise<void>;
}

export interface CycleResult {
  tag?: string;
  enqueued: number;
  acked: number;
  /** Wall time of the whole cycle, and until the producer finished (ms). */
  ms: number;
  producedMs: number;
  /** This process' CPU time (user + system, ms) during the cycle: shows whether the client is the limit. */
  cpuMs: number;
  /** Epoch ms, for the combined rate of several processes. */
  start: number;
  end: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runCycle(queue: CycleQueue, o: CycleOptions): Promise<CycleResult> {
  let next = 0;
  let enqueued = 0;
  let acked = 0;
  let produced = false;
  let producedAt = 0n;
  const start = Date.now();
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();

  async function producer(): Promise<void> {
    while (next < o.messages) {
      const i = next++;
      await queue.enqueue(benchMessage(`${o.idPrefix}-${i}`), [CONTENT], [`peer-${i % PEERS}`]);
      enqueued++;
    }
  }

  // The worker pool's loop: keep up to `window` deliveries going; a finished one frees a slot at once.
  let active = 0;
  let failure: unknown;
  let slotFreed: (() => void) | undefined;
  async function deliver(job: LeasedJob): Promise<void> {
    if (o.readContent) {
      const content = await queue.content(job.messageId);
      if (content?.[0]?.length !== CONTENT.length) throw new Error(`content of ${job.messageId} missing`);
    }
    await queue.ack(job, 'delivered');
    acked++;
  }
  async function consumer(): Promise<void> {
    for (;;) {
      if (failure) throw failure;
      if (active >= o.window) {
        await new Promise<void>((r) => (slotFreed = r));
        continue;
      }
      // Asked before the take (see allProduced): an empty take after a "yes" means nothing is left here.
      const done = produced && (o.allProduced ? await o.allProduced() : true);
      const jobs = await queue.take(Math.min(o.window - active, o.batch), o.perPeer);
      if (jobs.length === 0) {
        if (done && active === 0) return;
        await sleep(1); // nothing due yet: do not spin on Redis
        continue;
      }
      for (const job of jobs) {
        active++;
        deliver(job).then(
          () => {
            active--;
            slotFreed?.();
            slotFreed = undefined;
          },
          (err: unknown) => {
            failure = err;
            active--;
            slotFreed?.();
          },
        );
      }
    }
  }

  const producing = Promise.all(Array.from({ length: o.inFlight }, producer)).then(async () => {
    producedAt = process.hrtime.bigint();
    await o.onProduced?.();
    produced = true;
  });
  await Promise.all([producing, consumer()]);
  if (failure) throw failure;
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  return {
    enqueued,
    acked,
    ms: Number(t1 - t0) / 1e6,
    producedMs: Number(producedAt - t0) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
    start,
    end: Date.now(),
  };
}

/** Calls fn(0) .. fn(n - 1), `width` of them in flight at once (an edge accepting many submissions). */
export async function concurrently(n: number, fn: (i: number) => Promise<unknown>, width = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Takes every due job, in the worker pool's batches (take(32, 8)) one after the other. */
export async function takeAll(queue: CycleQueue): Promise<LeasedJob[]> {
  const jobs: LeasedJob[] = [];
  for (let got = await queue.take(32, 8); got.length > 0; got = await queue.take(32, 8)) jobs.push(...got);
  return jobs;
}

/** Delete every key under `<prefix>:` (SCAN + UNLINK, in batches: never KEYS on a shared server). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = nextCursor;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * A cycle on a throw-away prefix, untimed: loads the Lua scripts (EVALSHA), lets V8 compile the hot paths and
 * grow its heap, and lets Redis grow into its memory, as a long-running gateway and its Redis have. `queue`
 * must be one on `prefix` (the floor's, which cannot read content, passes readContent false). Returns the
 * cycle's result: the first full-size cycle after start is the "cold" figure.
 */
export async function warmUp(
  redis: Redis,
  prefix: string,
  queue: CycleQueue = createRedisStore({ redis, prefix }).queue,
  readContent = true,
  messages = 2_000,
): Promise<CycleResult> {
  const r = await runCycle(queue, { messages, inFlight: 64, batch: 32, perPeer: 8, window: 64, readContent, idPrefix: 'w' });
  await deletePrefix(redis, prefix);
  return r;
}

async function main(): Promise<void> {
  const env = process.env;
  const prefix = env.PREFIX!;
  const procs = Number(env.PROCS ?? 1);
  const tag = env.TAG ?? String(process.pid);
  const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  const { queue } = createRedisStore({ redis, prefix });
  // Both processes warm up at once, each on its own prefix, with a cycle of the timed one's size (as bench/queue.ts).
  await warmUp(redis, `${prefix}-warm-${tag}`, undefined, true, Number(env.MESSAGES ?? 30_000));

  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.on('data', (d: Buffer) => d.toString().includes('go') && resolve()));

  // Producers count themselves done in a key under the shared prefix (deleted with it afterwards).
  const doneKey = `${prefix}:bench:produced`;
  const result = await runCycle(queue, {
    messages: Number(env.MESSAGES ?? 30_000),
    inFlight: Number(env.IN_FLIGHT ?? 64),
    batch: Number(env.BATCH ?? 32),
    perPeer: Number(env.PER_PEER ?? 8),
    window: Number(env.WINDOW ?? 64),
    readContent: env.READ_CONTENT === '1',
    idPrefix: tag,
    onProduced: async () => void (await redis.incr(doneKey)),
    allProduced: async () => Number(await redis.get(doneKey)) >= procs,
  });
  process.stdout.write(`${JSON.stringify({ ...result, tag })}\n`);
  await redis.quit();
  process.exit(0);
}

// Run main only when this file is the process' entry point (bench/queue.ts imports it).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
