/**
 * When to try a webhook event again. An event is kept retryForMs (24 h by default) from its time, its message
 * expiring then; the job has queue.maxAttempts attempts. The delays grow threefold and are spread so that the
 * last attempt falls just before the expiry: after attempt a, with r = maxAttempts - a retries left and T
 * the time left (less a margin), the next delay is the first term of a geometric series of r terms, ratio 3,
 * summing to T: T * 2 / (3^r - 1). Computed afresh on every attempt from the time left, it stays on course
 * whatever a delay turned out to be (throttling, jitter). With 10 attempts and 24 h: about 9 s, 26 s, 79 s,
 * 4 min, 12 min, 36 min, 1.8 h, 5.3 h, 16 h. The queue's own policy (5 s doubling, 10 attempts) would give
 * up after about 40 minutes.
 */

/** Ratio of one delay to the previous. */
const RATIO = 3;
/** The last attempt is due this long before the expiry (a due job of an expired message is not handed out). */
const MARGIN_MS = 30_000;
/** Never sooner than this. */
const MIN_DELAY_MS = 1_000;

export interface WebhookRetryInput {
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  maxAttempts: number;
  now: number;
  /** When the event's message expires (its time + retryForMs). */
  expiresAt: number;
  /** Fraction of the delay added or removed at random (default 0.1; the last delay has none). */
  jitter?: number;
  random?: () => number;
}

export function webhookRetryDelay(i: WebhookRetryInput): number {
  const left = i.maxAttempts - i.attempt;
  const time = Math.max(0, i.expiresAt - i.now - MARGIN_MS);
  if (left <= 0) return MIN_DELAY_MS; // the queue ends the job: out of attempts
  const plain = (time * (RATIO - 1)) / (RATIO ** left - 1);
  const jitter = left === 1 ? 0 : (i.jitter ?? 0.1) * (2 * (i.random ?? Math.random)() - 1);
  return Math.max(MIN_DELAY_MS, Math.round(plain * (1 + jitter)));
}
