import type { StoreFullError, ContentStage, StagePurpose } from '../../core/ports.js';
import { ProbeRecorder } from '../../core/media-probe.js';
import type { MediaProbe } from '../../core/media-probe.js';
import { packParts } from './limits.js';

/** The store's byte budget as a stage sees it: room for more staged bytes, or why not. */
export interface StageLedger {
  reserve(bytes: number): StoreFullError | undefined;
  release(bytes: number): void;
}

/**
 * Queue.stage for the embedded store: the parts are kept in this process anyway (nothing is durable here).
 * Their bytes count against the store's byte limit while they arrive, as Redis counts a stage's slices
 * against maxmemory: when the store is full, the writes stop being kept and drain() (and the enqueue that
 * takes the stage) fails with StoreFullError, as a Redis stage fails with the OOM of its SET or APPEND.
 * A stage neither taken nor discarded within its TTL is dropped then (its bytes given back), as a Redis
 * stage's key expires: a request that died, or a stage its caller forgot, does not hold the store's bytes
 * until the process restarts.
 */
export class MemoryContentStage implements ContentStage {
  private parts: Buffer[][] = [];
  /** Each part's probe, recorded as it is written (kept when the bytes are let go). */
  private readonly recorders: ProbeRecorder[] = [];
  private discarded = false;
  /** Bytes reserved in the ledger for the pieces kept. */
  private reserved = 0;
  private failure: StoreFullError | undefined;
  private expired = false;
  /** Drops the stage at its TTL; cleared once the stage is taken, discarded or failed. Unref'd: it keeps no process alive. */
  private timer: NodeJS.Timeout | undefined;
  bytes = 0;

  constructor(
    readonly messageId: string,
    readonly purpose: StagePurpose,
    private readonly ledger: StageLedger,
    private readonly ttlMs: number,
  ) {
    // setTimeout fires at once for a delay over 2^31-1 ms (about 24.8 days): a longer TTL waits that long.
    this.timer = setTimeout(() => this.expire(), Math.min(Math.max(ttlMs, 0), 2 ** 31 - 1));
    this.timer.unref();
  }

  part(): { write(bytes: Buffer): void; end(): void } {
    const pieces: Buffer[] = [];
    this.parts.push(pieces);
    const probe = new ProbeRecorder();
    this.recorders.push(probe);
    let ended = false;
    const n = this.parts.length;
    return {
      write: (b) => {
        // As the Redis stage: a part's bytes follow one another, so a writer is dead once the next part starts.
        if (ended || this.parts.length !== n) throw new Error(`stage of ${this.messageId}: write to part ${n - 1} after it ended`);
        this.bytes += b.length;
        probe.write(b);
        if (this.failure || this.discarded || this.expired) return;
        const refused = this.ledger.reserve(b.length);
        if (refused) {
          // The request cannot be accepted any more: what it staged is let go at once.
          this.failure = refused;
          this.drop();
          return;
        }
        this.reserved += b.length;
        pieces.push(Buffer.from(b)); // a copy: writers hand views of their input
      },
      end: () => void (ended = true),
    };
  }

  probes(): readonly MediaProbe[] {
    return this.recorders.map((r) => r.probe());
  }

  drain(): Promise<void> {
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }

  async discard(): Promise<void> {
    this.discarded = true;
    this.drop();
  }

  /** The parts, for MemoryQueue.enqueue and replace; their bytes leave the stage's reservation (the message's estimate counts them). */
  take(): Buffer[] {
    if (this.discarded) throw new Error(`stage of ${this.messageId} was discarded`);
    if (this.failure) throw this.failure;
    if (this.expired) throw new Error(`stage of ${this.messageId} expired: its TTL of ${this.ttlMs} ms ran out before it was taken`);
    const parts = packParts(this.parts);
    this.discarded = true;
    this.drop();
    return parts;
  }

  /** The TTL ran out before a take or a discard: the parts and their bytes go, as a Redis stage's key expires. */
  private expire(): void {
    this.timer = undefined;
    this.expired = true;
    this.drop();
  }

  private drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const pieces of this.parts) pieces.length = 0;
    this.ledger.release(this.reserved);
    this.reserved = 0;
  }
}
