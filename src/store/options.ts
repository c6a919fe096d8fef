/**
 * The options of either queue backend (redis/, memory/): store-only, unlike the ports in core/ports.ts that
 * the backends implement. createStore (index.ts) fills them from StoreOptions.
 */
export interface QueueOptions {
  /** How long a take leases a job (default 60 s). */
  leaseMs: number;
  /** Attempts per job before it is dead-lettered (default 10). */
  maxAttempts: number;
  /** How long message, content and history are kept once every recipient is terminal (default 1 day). */
  retentionMs: number;
  /**
   * How long the search index (Queue.search: messages by recipient or originator) keeps an entry after the
   * message's receivedAt (default: retentionMs). 0: no index is written.
   */
  searchIndexMs?: number;
  /**
   * Clock for the queue's decisions: due times, leases, expiry (default Date.now; tests inject one).
   * Retention is the store's own: Redis expires keys by the server's clock.
   */
  now: () => number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  leaseMs: 60_000,
  maxAttempts: 10,
  retentionMs: 24 * 3600_000,
  now: Date.now,
};
