import type { ApiKeyActivity } from '../core/ports.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';

/** What the MM7 listener tells of a request an API key authenticated (src/mm7/server.ts). */
export interface ApiKeyRecorder {
  /** Key `key` of account `vasp` authenticated a request now. Returns at once; never throws. */
  used(vasp: string, key: string): void;
}

export interface ApiKeyUsageOptions {
  activity: ApiKeyActivity;
  log: Logger;
  metrics?: Metrics;
  /** A key's time is written at most this often by this instance (default a minute). */
  everyMs?: number;
  now?: () => number;
}

/** Keys whose last write this instance remembers: every configured key fits many times over. */
const REMEMBERED_MAX = 10_000;

/**
 * The last-used time of API keys (issue 24): written to the store (ApiKeyActivity, shared by the instances)
 * at most once per `everyMs` per key by this instance, so that a busy key costs one store write a minute, not
 * one per request. The write is not waited for and cannot fail the request: a store error is logged (the time
 * is then written on the key's next use after `everyMs`).
 */
export class ApiKeyUsage implements ApiKeyRecorder {
  /** `vasp\0key` -> when this instance last wrote it. */
  private readonly written = new Map<string, number>();
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(private readonly o: ApiKeyUsageOptions) {
    this.everyMs = o.everyMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  used(vasp: string, key: string): void {
    this.o.metrics?.apiKeyRequests.inc({ vasp, key });
    const at = this.now();
    const id = `${vasp}\u0000${key}`;
    const last = this.written.get(id);
    if (last !== undefined && at - last < this.everyMs) return;
    if (last === undefined && this.written.size >= REMEMBERED_MAX) this.written.clear();
    this.written.set(id, at);
    // A store that throws synchronously is a failed write as well: never the request's error.
    Promise.resolve()
      .then(() => this.o.activity.touch(vasp, key, at))
      .catch((err: unknown) => this.o.log.warn({ err, vasp, key }, 'API key last-used time not recorded'));
  }
}
