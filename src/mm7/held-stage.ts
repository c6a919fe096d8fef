import type { MediaProbe } from '../core/media-probe.js';
import type { ContentStage, StagePurpose } from '../core/ports.js';

/**
 * A content stage whose real stage is not known yet (its Message-ID is still being claimed: SubmitRetries):
 * the parts written meanwhile are held, in order, and handed to the stage once it comes; from then on
 * writes go straight through. What is held is at most what the writer sends before its next drain() (the
 * MIME parser drains after each read), since drain() waits for the stage. The bytes held are views of the
 * writer's buffers (the parser's input chunks, which are not reused).
 */
export class HeldStage implements ContentStage {
  readonly purpose: StagePurpose = 'message';
  bytes = 0;
  private target: ContentStage | undefined;
  private readonly held: { pending: Buffer[]; ended: boolean; writer?: { write(b: Buffer): void; end(): void } }[] = [];
  private readonly bound: Promise<void>;

  constructor(stage: Promise<ContentStage>) {
    this.bound = stage.then((s) => {
      this.target = s;
      for (const p of this.held) {
        p.writer = s.part();
        for (const b of p.pending) p.writer.write(b);
        p.pending = [];
        if (p.ended) p.writer.end();
      }
    });
    // Seen by drain() or discard(); not an unhandled rejection meanwhile.
    this.bound.catch(() => undefined);
  }

  /** The stage the parts went to, once known. */
  get stage(): ContentStage | undefined {
    return this.target;
  }

  get messageId(): string {
    if (!this.target) throw new Error('the stage of this message is not known yet');
    return this.target.messageId;
  }

  part(): { write(bytes: Buffer): void; end(): void } {
    const p: (typeof this.held)[number] = { pending: [], ended: false };
    if (this.target) p.writer = this.target.part();
    else this.held.push(p);
    return {
      write: (b) => {
        this.bytes += b.length;
        if (p.writer) p.writer.write(b);
        else p.pending.push(b);
      },
      end: () => {
        if (p.writer) p.writer.end();
        else p.ended = true;
      },
    };
  }

  /** The stage's probes once it is known (drain() first: the parts held are written to it then). */
  probes(): readonly MediaProbe[] {
    return this.target?.probes() ?? [];
  }

  async drain(): Promise<void> {
    await this.bound;
    await this.target!.drain();
  }

  async discard(): Promise<void> {
    try {
      await this.bound;
    } catch {
      return; // no stage was made: nothing was written
    }
    await this.target!.discard();
  }
}
