import type { ContentStage, StagePurpose } from '../types.js';

/** Queue.stage for the embedded store: the parts are kept in this process anyway (nothing is durable here). */
export class MemoryContentStage implements ContentStage {
  private parts: Buffer[][] = [];
  private discarded = false;
  bytes = 0;

  constructor(
    readonly messageId: string,
    readonly purpose: StagePurpose,
  ) {}

  part(): { write(bytes: Buffer): void; end(): void } {
    const pieces: Buffer[] = [];
    this.parts.push(pieces);
    let ended = false;
    const n = this.parts.length;
    return {
      write: (b) => {
        // As the Redis stage: a part's bytes follow one another, so a writer is dead once the next part starts.
        if (ended || this.parts.length !== n) throw new Error(`stage of ${this.messageId}: write to part ${n - 1} after it ended`);
        pieces.push(Buffer.from(b)); // a copy: writers hand views of their input
        this.bytes += b.length;
      },
      end: () => void (ended = true),
    };
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  async discard(): Promise<void> {
    this.discarded = true;
    this.parts = [];
  }

  /** The parts, for MemoryQueue.enqueue. */
  take(): Buffer[] {
    if (this.discarded) throw new Error(`stage of ${this.messageId} was discarded`);
    return this.parts.map((pieces) => Buffer.concat(pieces));
  }
}
