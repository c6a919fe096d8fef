import { PollLoop } from './poll-loop.js';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { LeaseLostError, type LeasedJob, type Queue, type Throttle, type ThrottleGrant } from './ports.js';
import type { DeliveryResult, Route, Router } from './router.js';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from './retry-policy.js';

/** The refusal of a recipient no route serves; the sender's events map it to the catalogue's unroutable. */
export const NO_ROUTE_DETAIL = 'no route to recipient';

export interface WorkerPoolOptions {
  queue: Queue;
  throttle: Throttle;
  router: Router;
  log: Logger;
  /** Deliveries in progress at once in this process (default 64). */
  concurrency?: number;
  /** Most jobs per take, and per peer in one take (defaults 32 and 8). */
  batch?: number;
  perPeer?: number;
  retry?: RetryPolicy;
  /** Idle polling: starts at minPollMs, doubles up to maxPollMs while nothing is due (defaults 5 and 200). */
  minPollMs?: number;
  maxPollMs?: number;
  now?: () => number;
  /**
   * A last word on each job after routing, for what the synchronous router cannot know: subscriber flags
   * in the store (opted out: refuse; text-only: the SMS fallback instead of the router's route). Returns
   * the route to use, { refuse } to end the job rejected, or { defer, detail } to hold this one job back
   * until `defer` (epoch ms: marketing quiet hours, a frequency cap), its peer going on. Unset: the router's
   * route.
   */
  resolve?: (job: LeasedJob, route: Route | undefined) => Promise<ResolveDecision>;
}

/**
 * What `resolve` makes of a job: a route, a refusal, or a deferral of this job alone (no attempt used; the
 * queue expires it at its message's expiry if `defer` is later; `detail` goes into its history and outcome).
 */
export type ResolveDecision = Route | { refuse: string } | { defer: number; detail: string } | undefined;

/** The outcome of one delivery attempt, for metrics and (later) delivery reports. */
export interface Outcome {
  job: LeasedJob;
  state: 'delivered' | 'rejected' | 'failed' | 'retrying' | 'notified' | 'expired' | 'deferred';
  detail?: string;
}

/**
 * Takes jobs, routes each recipient, asks the peer's throttle, and delivers through the route. A throttled
 * peer's jobs are deferred (given back, peer hidden until the bucket refills), never waited on, so one slow
 * or limited peer does not hold up the others. Emits 'outcome' for every settled attempt.
 */
export class WorkerPool extends EventEmitter<{ outcome: [Outcome] }> {
  private readonly o: Required<Omit<WorkerPoolOptions, 'log' | 'resolve'>> & Pick<WorkerPoolOptions, 'resolve'> & { log: Logger };
  private readonly loop = new PollLoop(() => this.run());
  private readonly active = new Set<Promise<void>>();
  /** When the earliest peer this pool deferred becomes visible again: an idle pool wakes up then. */
  private nextVisible = Number.POSITIVE_INFINITY;

  constructor(options: WorkerPoolOptions) {
    super();
    this.o = {
      concurrency: 64,
      batch: 32,
      perPeer: 8,
      retry: DEFAULT_RETRY_POLICY,
      minPollMs: 5,
      maxPollMs: 200,
      now: Date.now,
      ...options,
    };
  }

  get inFlight(): number {
    return this.active.size;
  }

  start(): void {
    this.loop.start();
  }

  /** Poke an idle pool (e.g. right after an enqueue in this process). */
  notify(): void {
    this.loop.wake();
  }

  /**
   * Graceful stop: take no more jobs, let deliveries in progress finish for up to graceMs; any still
   * running then keep their lease and are handed out again when it ends (at-least-once).
   */
  async stop(graceMs = 10_000): Promise<void> {
    await this.loop.stop();
    const all = Promise.allSettled([...this.active]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let idle = this.o.minPollMs;
    while (this.loop.running) {
      const free = this.o.concurrency - this.active.size;
      if (free <= 0) {
        await Promise.race(this.active);
        continue;
      }
      let jobs: LeasedJob[];
      try {
        jobs = await this.o.queue.take(Math.min(free, this.o.batch), this.o.perPeer);
      } catch (err) {
        // Redis down or restarting: keep trying at the idle pace; nothing is lost, jobs stay in the store.
        // (Logged, not emitted as 'error': an EventEmitter 'error' without a listener would throw.)
        this.o.log.warn({ err }, 'take failed');
        await this.loop.sleep(this.o.maxPollMs);
        continue;
      }
      if (jobs.length === 0) {
        // Back off while idle, but not past the moment a peer this pool throttled is due again.
        const untilVisible = this.nextVisible - this.o.now();
        this.nextVisible = Number.POSITIVE_INFINITY;
        await this.loop.sleep(Math.max(1, Math.min(idle, untilVisible)));
        idle = untilVisible < idle ? this.o.minPollMs : Math.min(this.o.maxPollMs, idle * 2);
        continue;
      }
      idle = this.o.minPollMs;
      await this.dispatch(jobs);
    }
  }

  /** Group by route peer, ask each peer's throttle once, start the granted deliveries, defer the rest. */
  private async dispatch(jobs: LeasedJob[]): Promise<void> {
    const byPeer = new Map<string, { route: Route; jobs: LeasedJob[] }>();
    const routes = await Promise.all(jobs.map((job) => this.routeOf(job)));
    jobs.forEach((job, k) => {
      const route = routes[k];
      if (route && 'retry' in route) {
        this.track(this.settle(job, { status: 'retry', error: route.retry }, undefined));
        return;
      }
      if (route && 'defer' in route) {
        this.track(this.postpone(job, route.defer, route.detail));
        return;
      }
      if (!route || 'refuse' in route) {
        this.track(this.settle(job, { status: 'rejected', detail: route?.refuse ?? NO_ROUTE_DETAIL }, undefined));
        return;
      }
      const g = byPeer.get(route.peer) ?? { route, jobs: [] };
      g.jobs.push(job);
      byPeer.set(route.peer, g);
    });
    await Promise.all(
      [...byPeer.values()].map(async ({ route, jobs: group }) => {
        let grant: ThrottleGrant = { granted: 0, retryAfterMs: this.o.maxPollMs, waitMs: [] };
        try {
          grant = await this.o.throttle.acquire(route.peer, group, route.limits);
        } catch (err) {
          this.o.log.warn({ err, peer: route.peer }, 'throttle unavailable');
        }
        // Granted deliveries wait their scheduled moment (a few ms, within the throttle's horizon): the peer
        // sees an even stream at its rate.
        group.slice(0, grant.granted).forEach((job, i) => this.track(this.deliver(job, route, grant.waitMs[i] ?? 0)));
        // The rest are deferred; the peer stays hidden until the throttle can schedule every one of them,
        // so the next visit delivers a batch instead of taking and deferring the same jobs again.
        const deferred = group.length - grant.granted;
        const refill = grant.retryAfterMs > 0 && route.limits.rate > 0 ? ((deferred - 1) * 1000) / route.limits.rate : 0;
        const until = this.o.now() + Math.max(1, grant.retryAfterMs) + Math.max(0, Math.round(refill));
        if (deferred > 0 && until < this.nextVisible) this.nextVisible = until;
        for (const job of group.slice(grant.granted)) {
          this.track(
            this.o.queue.defer(job, until).then(
              () => void this.emit('outcome', { job, state: 'deferred' }),
              (err: unknown) => this.o.log.warn({ err, messageId: job.messageId }, 'defer failed'),
            ),
          );
        }
      }),
    );
  }

  /** A policy holds the job back (Queue.defer, this job only): no attempt used, the peer goes on. */
  private async postpone(job: LeasedJob, until: number, detail: string): Promise<void> {
    try {
      await this.o.queue.defer(job, until, { detail, jobOnly: true });
      this.emit('outcome', { job, state: 'deferred', detail });
    } catch (err) {
      // Lease lost or store unreachable: the job is handed out again and the policy asked again.
      this.o.log.warn({ err, messageId: job.messageId }, 'defer failed');
    }
  }

  private async routeOf(job: LeasedJob): Promise<ResolveDecision | { retry: string }> {
    const route = this.o.router.route(job.message, job.recipientIndex);
    if (!this.o.resolve) return route;
    try {
      return await this.o.resolve(job, route);
    } catch (err) {
      // The subscriber or frequency store is unreachable: an opt-out or a cap must hold, so nothing is sent;
      // the job is retried.
      this.o.log.warn({ err, messageId: job.messageId }, 'could not resolve the route (subscriber or frequency store)');
      return { retry: `route not resolved: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private track(p: Promise<void>): void {
    this.active.add(p);
    void p.finally(() => this.active.delete(p));
  }

  private async deliver(job: LeasedJob, route: Route, waitMs: number): Promise<void> {
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    let result: DeliveryResult;
    try {
      result = await route.send({
        message: job.message,
        recipientIndex: job.recipientIndex,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        notifications: job.notifications,
        content: async () => {
          const c = await this.o.queue.content(job.messageId);
          if (!c) throw new Error(`content of ${job.messageId} is gone`);
          return c;
        },
      });
    } catch (err) {
      result = { status: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    await this.settle(job, result, route);
  }

  private async settle(job: LeasedJob, result: DeliveryResult, route: Route | undefined): Promise<void> {
    const log = this.o.log;
    try {
      if (result.status === 'retry') {
        const delay = result.retryAfterMs ?? retryDelay(this.o.retry, job.attempt);
        const state = await this.o.queue.retry(job, result.error, delay);
        if (state === 'failed') {
          // Out of attempts: the job is a dead letter now, and nothing will try it again; say so.
          const recipient = job.message.recipients[job.recipientIndex]?.address;
          log.warn(
            {
              messageId: job.messageId,
              recipient,
              recipientIndex: job.recipientIndex,
              peer: job.peer,
              attempts: job.attempt,
              reason: result.error,
            },
            'dead-lettered: delivery attempts used up',
          );
        }
        this.emit('outcome', { job, state, detail: result.error });
      } else if (result.status === 'waiting') {
        // Told, not failed: no attempt used; unless a time to look again is given, nothing until expiry.
        const delay = result.retryAfterMs ?? Math.max(0, job.message.expiresAt - this.o.now());
        const detail = result.detail ?? 'awaiting retrieval';
        const state = await this.o.queue.wait(job, detail, delay);
        this.emit('outcome', { job, state, detail });
      } else {
        await this.o.queue.ack(job, result.status, result.detail);
        const outcome: Outcome = { job, state: result.status };
        if (result.detail !== undefined) outcome.detail = result.detail;
        this.emit('outcome', outcome);
      }
    } catch (err) {
      const ctx = { err, messageId: job.messageId, recipient: job.recipientIndex, lease: job.lease };
      // Lease lost: it ran out and another worker has the job, or the job was ended without a worker
      // (Queue.complete, e.g. the handset fetched it). Someone else owns the outcome; not an error here.
      if (err instanceof LeaseLostError) log.info(ctx, 'lease lost, job not settled here');
      // Store unreachable: the job is not settled and will be delivered again; receivers drop the
      // duplicate by Message-ID.
      else log.warn(ctx, 'could not settle job');
    } finally {
      if (route) await this.o.throttle.release(route.peer, job.lease).catch(() => undefined);
    }
  }
}
