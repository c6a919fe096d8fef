import type { SMTPServerDataStream } from 'smtp-server';
import type { DataHold } from './data-budget.js';

/** Why a transaction's DATA stopped being handed on. */
export type DataStop =
  /** Over `maxBytes` (RFC 1870 §6.3: answered 552 once the peer ends DATA). */
  | 'too-large'
  /** Over the listener's budget (DataBudget): answered busy, the peer retries. */
  | 'busy'
  /** The session was cut (mm4.dataTimeoutMs): nothing is answered. */
  | 'cut';

/** Thrown into the reader of DataSource.chunks() when DATA stops being handed on. */
export class DataStopped extends Error {
  constructor(readonly why: DataStop) {
    super(`DATA stopped: ${why}`);
  }
}

/**
 * A transaction's DATA as it arrives, read once: chunks() hands each chunk on (the reader's pace is the
 * peer's: back-pressure through the stream), counting every byte against `maxBytes` and against `hold`
 * (the listener's budget, mm4.maxInFlightDataBytes: a transaction counts what it received, whether it is
 * still in memory or on its way to the store). Past either, the reader gets DataStopped; drain() then reads
 * the rest and drops it as it arrives: a peer's memory use is bounded by configuration, not by what it sends.
 */
export class DataSource {
  received = 0;
  private stop: DataStop | undefined;
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failed: Error | undefined;
  private waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly stream: SMTPServerDataStream,
    private readonly maxBytes: number,
    private readonly hold: DataHold,
  ) {
    // Pulled by next(): the stream is paused while a chunk waits to be read (back-pressure to the peer).
    stream.on('data', (c: Buffer) => {
      this.queue.push(c);
      stream.pause();
      this.wake();
    });
    stream.once('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.once('error', (e: Error) => this.fail(e));
  }

  /** The chunks, until the end of DATA or a stop; read once. */
  async *chunks(): AsyncIterable<Buffer> {
    for (;;) {
      if (this.stop) throw new DataStopped(this.stop);
      const c = await this.next();
      if (c === undefined) return;
      if (this.received > this.maxBytes || !this.hold.take(c.length)) {
        this.stop ??= this.received > this.maxBytes ? 'too-large' : 'busy';
        this.hold.release();
        throw new DataStopped(this.stop);
      }
      yield c;
    }
  }

  /** Reads what is left of DATA, dropping it. Rejects with DataStopped('cut') when the session is cut. */
  async drain(): Promise<void> {
    while ((await this.next()) !== undefined);
  }

  /** How DATA ended, once drained: over the limit (smtp-server's own count of dot-unstuffed bytes has the last word), busy, or fine. */
  outcome(): 'too-large' | 'busy' | undefined {
    if (this.stream.sizeExceeded || this.received > this.maxBytes || this.stop === 'too-large') return 'too-large';
    return this.stop === 'busy' ? 'busy' : undefined;
  }

  /** The session is cut: the reader and drain() get DataStopped('cut'). */
  abort(): void {
    this.stop = 'cut';
    this.fail(new DataStopped('cut'));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failed);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  private async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.failed) throw this.failed;
      const c = this.queue.shift();
      if (c) {
        this.received += c.length;
        if (this.queue.length === 0 && !this.ended) this.stream.resume();
        return c;
      }
      if (this.ended) return undefined;
      this.stream.resume();
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
  }
}
