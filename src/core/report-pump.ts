import { PollLoop } from './poll-loop.js';
import type { Logger } from 'pino';
import type { Queue } from './ports.js';
import type { FinalState, ReportGenerator } from './reports.js';

const REPORTED: ReadonlySet<string> = new Set<FinalState>(['delivered', 'rejected', 'failed', 'expired']);

/**
 * Turns the store's final events into delivery reports: reads them (Queue.finalEvents), has the generator
 * enqueue the report, then acknowledges them. Whoever ended a recipient (a worker, or the store at expiry)
 * the report follows, and a crash between the enqueue and the acknowledgement sends it twice rather than
 * never. A cancelled recipient gets no report (its sender withdrew it).
 */
export class ReportPump {
  private readonly loop = new PollLoop(() => this.run());

  constructor(private readonly o: { queue: Queue; reports: ReportGenerator; log: Logger; batch?: number; idleMs?: number }) {}

  start(): void {
    this.loop.start();
  }

  /** Look now (a worker just settled something). */
  notify(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async run(): Promise<void> {
    while (this.loop.running) {
      let handled = 0;
      try {
        handled = await this.once();
      } catch (err) {
        this.o.log.warn({ err }, 'final events not read; trying again');
      }
      if (handled === 0) await this.loop.sleep(this.o.idleMs ?? 100);
    }
  }

  /** One batch: the number of events handled. */
  async once(): Promise<number> {
    const events = await this.o.queue.finalEvents(this.o.batch ?? 64);
    const done: string[] = [];
    await Promise.all(
      events.map(async (e) => {
        try {
          if (REPORTED.has(e.state)) {
            const message = await this.o.queue.message(e.messageId);
            // Gone (past its retention): nothing left to report on.
            if (message) await this.o.reports.final(message, e.recipientIndex, e.state as FinalState, e.detail);
          }
          done.push(e.id);
        } catch (err) {
          // Not acknowledged: handed out again after the lease time.
          this.o.log.warn({ err, messageId: e.messageId }, 'report not queued; will be tried again');
        }
      }),
    );
    if (done.length > 0) await this.o.queue.ackFinal(done);
    return events.length;
  }
}
