import { Command, type Cluster, type Redis } from 'ioredis';
import { frameLength, writeFrame } from './content-frame.js';

/**
 * `SET key <frame of parts> PX ms NX`, the content write ahead of an enqueue, sent as one RESP buffer into
 * which the parts are copied once. Through `redis.set(key, encodeParts(parts), ...)` a 10 KB message was
 * copied twice on the client (the frame, then ioredis' command buffer), which cost ~5 µs of the client's
 * ~45 a message in the queue bench (bench/queue-ab.ts, cycle mode). The bytes on the wire are those ioredis
 * writes for that call (test/queue-redis-parts.test.ts compares them); the command is still an ioredis
 * Command, so replies, the offline queue, and Cluster routing (by its key, args[0]) work as for any other.
 * Like the scripts, which build keys from the shard prefix, it writes `key` as given: the store's clients
 * carry no ioredis `keyPrefix`. Resolves 'OK', or null when the key exists (NX).
 */
export function setFrame(redis: Redis | Cluster, key: string, parts: readonly Buffer[], pxMs: number): Promise<'OK' | null> {
  return redis.sendCommand(new FrameSetCommand(key, parts, pxMs)) as Promise<'OK' | null>;
}

export class FrameSetCommand extends Command {
  private readonly wire: Buffer;

  constructor(key: string, parts: readonly Buffer[], pxMs: number) {
    const px = String(Math.round(pxMs));
    // The value's place holds '' for ioredis (its key lookup for Cluster routing reads args[0] only).
    super('set', [key, '', 'PX', px, 'NX'], { replyEncoding: 'utf8' });
    const size = frameLength(parts);
    const head = `*6\r\n$3\r\nset\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${size}\r\n`;
    const tail = `\r\n$2\r\nPX\r\n$${px.length}\r\n${px}\r\n$2\r\nNX\r\n`;
    const headLen = Buffer.byteLength(head);
    this.wire = Buffer.allocUnsafe(headLen + size + tail.length);
    this.wire.write(head, 0, 'utf8');
    writeFrame(parts, this.wire, headLen);
    this.wire.write(tail, headLen + size, 'latin1');
  }

  override toWritable(): Buffer {
    return this.wire;
  }
}
