import type { SMTPServerDataStream } from 'smtp-server';
import type { DataHold } from './data-budget.js';

/** What a transaction's DATA came to: the message whole, or why it was not held. */
export type DataRead =
  | { kind: 'whole'; bytes: Buffer; received: number }
  /** Over `maxBytes` (RFC 1870 §6.3: answered 552 once the peer ends DATA). */
  | { kind: 'too-large'; received: number }
  /** Over the listener's budget (DataBudget): answered busy, the peer retries. */
  | { kind: 'busy'; received: number };

/**
 * Reads a transaction's DATA to its end, holding at most `maxBytes` of it and only while `hold` (the
 * listener's budget) allows. Past either, what was held is let go at once and the rest is read and
 * dropped as it arrives: a peer's memory use is bounded by configuration, not by what it sends.
 */
export function readData(stream: SMTPServerDataStream, maxBytes: number, hold: DataHold): Promise<DataRead> {
  let chunks: Buffer[] = [];
  let received = 0;
  let busy = false;
  let dropping = false;
  return new Promise<DataRead>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      received += c.length;
      if (dropping) return;
      if (received > maxBytes || !hold.take(c.length)) {
        busy = received <= maxBytes;
        dropping = true;
        chunks = [];
        hold.release();
        return;
      }
      chunks.push(c);
    });
    stream.once('end', () => {
      // smtp-server's own count (dot-unstuffed bytes) has the last word on the size.
      if (stream.sizeExceeded || received > maxBytes) resolve({ kind: 'too-large', received });
      else if (busy) resolve({ kind: 'busy', received });
      else {
        const bytes = Buffer.concat(chunks);
        chunks = []; // one copy held while it is parsed, not two
        resolve({ kind: 'whole', bytes, received });
      }
    });
    stream.once('error', reject);
  });
}
