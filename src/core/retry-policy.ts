/**
 * Retry schedule as data: exponential backoff with jitter. Attempt 1's retry waits about baseMs, each
 * further one `factor` times longer, capped at maxMs; jitter spreads retries of many jobs that failed
 * together (a peer outage) so that they do not come back in one burst.
 */
export interface RetryPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random (0.2 = +-20 %). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 5_000, factor: 2, maxMs: 3_600_000, jitter: 0.2 };

export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const plain = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = plain * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(plain + spread));
}
