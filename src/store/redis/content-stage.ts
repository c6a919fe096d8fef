import type { Cluster, Redis } from 'ioredis';
import { type MediaProbe, ProbeRecorder } from '../../core/media-probe.js';
import type { ContentStage, StagePurpose } from '../../core/ports.js';
import { frameTrailer } from './content-frame.js';
import { writeSlice } from './frame-set.js';
import { script } from './scripts.js';

/**
 * Bytes gathered before one write to Redis: what a streaming request holds of its message at most (a
 * 50 KB message is still one SET; a 5 MB one is 80 writes of this size).
 */
export const STAGE_SLICE = 64 * 1024;

/**
 * A message's content written into its own content key while it arrives (Queue.stage): the parts front to
 * back, then the frame's trailer (content-frame.ts). The first slice is a SET with the stage's TTL, the
 * next ones APPENDs, one after the other (an APPEND never runs before the SET that gives the key its TTL,
 * so a key whose request died expires). The enqueue script checks the key and gives it the message's TTL.
 * The SET is NX: when the key is there already (a stored message: a re-submission of its id), the stage
 * writes nothing, neither the first slice over the stored content nor the next ones after it, and its
 * discard deletes nothing; the enqueue script then finds the message and stores nothing either.
 * A 'replacement' stage writes to a key of its own beside the message's content key; the replace script
 * renames it over the content once the message may still be replaced.
 * Two stages of one Message-ID may run at once (a client's retry recognised while the first request is still
 * running: IdempotencyStore): the first SET takes the key, and a message stage given its message's key
 * (`messageKey`) deletes it on discard only while no message is stored on it (lua/stage-discard-2.lua).
 */
export class RedisContentStage implements ContentStage {
  private slice: Buffer | undefined;
  private fill = 0;
  private readonly lengths: number[] = [];
  /** Each part's probe, recorded as it is written: Intake checks the types without reading the key back. */
  private readonly recorders: ProbeRecorder[] = [];
  /** Bytes of the open part; -1 between parts. */
  private current = -1;
  private created = false;
  /** The first SET found the key there (another message's content): nothing of this stage is written. */
  private foreign = false;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private discarded = false;
  bytes = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly messageId: string,
    readonly key: string,
    private readonly ttlMs: number,
    readonly purpose: StagePurpose = 'message',
    private readonly messageKey?: string,
  ) {}

  part(): { write(bytes: Buffer): void; end(): void } {
    this.endPart();
    this.current = 0;
    this.recorders.push(new ProbeRecorder());
    // Each writer is its part's only: once the next part is started, the old writer may not write into it.
    const n = this.lengths.length;
    const open = () => this.current >= 0 && this.lengths.length === n;
    return {
      write: (b) => {
        if (!open()) throw new Error(`stage of ${this.messageId}: write to part ${n} after it ended`);
        this.write(b);
      },
      end: () => open() && this.endPart(),
    };
  }

  private write(b: Buffer): void {
    this.current += b.length;
    this.bytes += b.length;
    this.recorders[this.recorders.length - 1]!.write(b);
    this.copy(b);
  }

  private copy(b: Buffer): void {
    for (let at = 0; at < b.length; ) {
      this.slice ??= Buffer.allocUnsafe(STAGE_SLICE);
      const n = Math.min(b.length - at, STAGE_SLICE - this.fill);
      b.copy(this.slice, this.fill, at, at + n);
      this.fill += n;
      at += n;
      if (this.fill === STAGE_SLICE) this.flush();
    }
  }

  private endPart(): void {
    if (this.current < 0) return;
    this.lengths.push(this.current);
    this.current = -1;
  }

  private flush(): void {
    const data = this.slice ? this.slice.subarray(0, this.fill) : Buffer.alloc(0);
    this.slice = undefined;
    this.fill = 0;
    const first = !this.created;
    this.created = true;
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined || this.discarded || this.foreign) return;
      try {
        await this.put(data, first);
      } catch (err) {
        this.failure = err;
      }
    });
  }

  /**
   * One slice to Redis: the first a SET with the stage's TTL, NX (a key that is there is not ours: nothing more
   * is written to it, and a discard leaves it), the next ones APPENDs. The command is issued at once, before
   * the first await, so that seal's caller can place it just before its script.
   */
  private async put(data: Buffer, first: boolean): Promise<void> {
    // The slice is referenced, not copied, until Redis answers (frame-set.ts): nothing writes into it again.
    const r = await writeSlice(this.redis, this.key, data, first, this.ttlMs);
    if (first) this.foreign = r === null;
  }

  probes(): readonly MediaProbe[] {
    return this.recorders.map((r) => r.probe());
  }

  drain(): Promise<void> {
    return this.chain.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /**
   * Ends the stage: waits for the slices already sent, then returns the frame's full size and the write of
   * what is left (with the frame's trailer), for the caller to issue just before the script that takes the
   * stage, on the same connection (RedisQueue.enqueue: the enqueue batch of the turn; replace: the same
   * write); the script checks the size.
   */
  async seal(): Promise<{ size: number; last: (() => Promise<unknown>) | undefined }> {
    if (this.discarded) throw new Error(`stage of ${this.messageId} was discarded`);
    this.endPart();
    const trailer = frameTrailer(this.lengths);
    this.copy(trailer);
    await this.drain();
    if (this.discarded) throw new Error(`stage of ${this.messageId} was discarded`);
    const size = this.bytes + trailer.length;
    if ((this.fill === 0 && this.created) || this.foreign) return { size, last: undefined };
    const data = this.slice ? this.slice.subarray(0, this.fill) : Buffer.alloc(0);
    const first = !this.created;
    this.slice = undefined;
    this.fill = 0;
    this.created = true;
    return { size, last: () => this.put(data, first) };
  }

  async discard(): Promise<void> {
    this.discarded = true;
    this.slice = undefined;
    await this.chain;
    if (!this.created || this.foreign) return;
    const gone = this.messageKey ? script(this.redis, 'mmscStageDiscard')([this.key, this.messageKey], []) : this.redis.del(this.key);
    await gone.catch(() => undefined);
  }
}
