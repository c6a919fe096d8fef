import type { PartSink, StreamOptions } from '../../protocols/mime/index.js';
import type { ContentStage } from '../core/ports.js';
import type { ForwardClaim } from './duplicates.js';

/** A leaf that is not stored: read and dropped. */
const DROP: PartSink = { write: () => undefined, end: () => undefined };

/**
 * Where an MM4_forward.REQ's body goes while DATA arrives (issue 22: DATA is streamed into the content store),
 * decided once its header fields are read:
 * - `stage`: each decoded leaf, in order, into a content stage of the queue (Queue.stage) under the id the
 *   forward is to be stored with; the listener holds only the slices in flight;
 * - `repeat`: the peer sent this X-Mms-Message-ID before and the first copy is stored: read and dropped;
 * - `failed`: its X-Mms-Message-ID could not be checked (store down): read and dropped, answered 4xx.
 * A stage the queue did not take (refused, malformed, over a limit, cut session, store error) is discarded.
 */
export class ForwardStage {
  /** The queue took the stage as the message's content: it is no longer ours to discard. */
  taken = false;
  /** The forward is stored (with this stage, or with its parts' bodies when none was streamed). */
  stored = false;

  private constructor(
    readonly kind: 'stage' | 'repeat' | 'failed',
    readonly messageId: string,
    readonly claim: ForwardClaim | undefined,
    readonly stage: ContentStage | undefined,
    readonly error?: unknown,
  ) {}

  static staged(stage: ContentStage, claim: ForwardClaim | undefined): ForwardStage {
    return new ForwardStage('stage', stage.messageId, claim, stage);
  }

  static repeat(claim: ForwardClaim): ForwardStage {
    return new ForwardStage('repeat', claim.messageId, claim, undefined);
  }

  static failed(error: unknown): ForwardStage {
    return new ForwardStage('failed', '', undefined, undefined, error);
  }

  /** How the parser hands the body's leaves on (protocols/mime StreamOptions), with the store's back-pressure. */
  get options(): StreamOptions {
    const stage = this.stage;
    if (!stage) return { leaf: () => DROP };
    return { leaf: () => stage.part(), drain: () => stage.drain() };
  }

  /** Drops what was staged, unless the queue took it. Safe to call more than once. */
  async discard(): Promise<void> {
    if (this.stage && !this.taken) await this.stage.discard();
  }
}
