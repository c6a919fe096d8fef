import type { CoreMessage, StateEvent } from '../../core/message.js';

/**
 * What the embedded store may hold (queue.memoryMaxMessages, queue.memoryMaxBytes): messages, finished ones
 * within their retention included, and their estimated bytes, content staged by requests still arriving
 * included. A new message over either limit is refused with StoreFullError.
 */
export interface MemoryLimits {
  maxMessages: number;
  maxBytes: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { maxMessages: 50_000, maxBytes: 256 * 1024 * 1024 };

/**
 * What one message costs besides its content bytes: the JS objects of its model and of each recipient's
 * job (the job record, its history array, heap entries) and of each part's Buffer view; the process' RSS
 * grows some more than heap and ArrayBuffers do (V8 reserves old space ahead). These figures, plus twice the
 * model's JSON length (a large subject or many parameters cost their size; two bytes per character covers
 * UTF-16 strings), were set from bench/lib/memory-store.ts (Node 20, x64) so that the estimate is at or above
 * the RSS growth per message: 4.1 KB estimated for 2.9 KB of RSS (100-byte messages), 14.3 for 13.5 KB
 * (10 KB), 10.9 for 9.7 KB (100 bytes to 10 recipients), 6.2 for 5.3 KB (five 100-byte parts).
 */
const MESSAGE_BYTES = 2048;
const RECIPIENT_BYTES = 512;
const PART_BYTES = 256;
/** One history entry (StateEvent) without its detail text. */
const EVENT_BYTES = 128;

/** The estimated bytes of a stored message: its model, its jobs and its content. */
export function messageBytes(message: CoreMessage, content: readonly Buffer[]): number {
  let bytes =
    MESSAGE_BYTES + RECIPIENT_BYTES * message.recipients.length + PART_BYTES * content.length + 2 * JSON.stringify(message).length;
  for (const part of content) bytes += part.length;
  return bytes;
}

/** The estimated bytes of one history entry. */
export function eventBytes(event: StateEvent): number {
  return EVENT_BYTES + 2 * (event.detail?.length ?? 0);
}

/**
 * A message's parts copied into one allocation of their own, each part a view of it. Not Buffer.from per
 * part: a small copy is a slice of Node's shared 8 KiB pool, and one kept slice pins the whole slab (parts of
 * 3 KB took 8 KB each when measured). Each part is given as the pieces it arrived in.
 */
export function packParts(parts: readonly (readonly Buffer[])[]): Buffer[] {
  let total = 0;
  for (const pieces of parts) for (const b of pieces) total += b.length;
  const block = Buffer.allocUnsafeSlow(total);
  const out: Buffer[] = [];
  let at = 0;
  for (const pieces of parts) {
    const start = at;
    for (const b of pieces) at += b.copy(block, at);
    out.push(block.subarray(start, at));
  }
  return out;
}
