/**
 * One timer for a whole exchange (lookup, connect, redirects, body): whatever is in progress when it fires
 * fails with the error `expire` makes. Shared by the outbound HTTP clients (http-post.ts, the media fetcher).
 */
export class Deadline<E extends Error> {
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Set<(err: E) => void>();
  private expired: E | undefined;

  constructor(ms: number, expire: (ms: number) => E) {
    this.timer = setTimeout(() => {
      this.expired = expire(ms);
      for (const fail of [...this.waiting]) fail(this.expired);
    }, ms);
  }

  /** Calls `fail` when the deadline passes (at once if it has); the returned function stops that. */
  watch(fail: (err: E) => void): () => void {
    if (this.expired) fail(this.expired);
    else this.waiting.add(fail);
    return () => this.waiting.delete(fail);
  }

  /** The promise's value, or the deadline's error if it comes first (a lookup cannot be cancelled, only left). */
  race<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = this.watch(reject);
      p.then(resolve, reject).finally(stop);
    });
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
