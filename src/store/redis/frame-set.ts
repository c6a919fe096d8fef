import { Socket } from 'node:net';
import { Command, type Cluster, type Redis } from 'ioredis';
import { frameLength, frameTrailer } from './content-frame.js';

/**
 * `SET key <frame of parts> PX ms NX`, the content write ahead of an enqueue, with the parts written to the
 * socket as they are: no copy of the content on the client. Through `redis.set(key, encodeParts(parts),
 * ...)` a 10 KB message was copied twice (the frame, then ioredis' command buffer); the allocation and the
 * GC of those copies cost more than the copies themselves (bench/lib/queue-ab.ts, cycle mode).
 * ioredis sends a command with `stream.write(command.toWritable(stream))`: `toWritable` gets the socket,
 * writes the command's head and the parts to it, and returns the rest for ioredis to write after them. The
 * queue corks the socket for the turn (write-coalescer.ts), so the pieces go out in one writev(2) with the
 * commands around them. The bytes on the wire are those ioredis writes for the plain call
 * (test/store/queue-redis-parts.test.ts compares them); the command is still an ioredis Command, so replies, the
 * offline queue (which sends through the same path later), and Cluster routing (by its key, args[0]) work
 * as for any other. It is never queued in an ioredis Pipeline (whose buffer would put the pieces out of
 * order): it is sent alone, by setFrame. The parts are referenced, not copied, until the command is
 * answered (ioredis writes a command again after a reconnect): the caller must not change them before
 * (Queue.enqueue says so).
 * Like the scripts, which build keys from the shard prefix, it writes `key` as given: the store's clients
 * carry no ioredis `keyPrefix`. Resolves 'OK', or null when the key exists (NX).
 */
export function setFrame(redis: Redis | Cluster, key: string, parts: readonly Buffer[], pxMs: number): Promise<'OK' | null> {
  return redis.sendCommand(new FrameSetCommand(key, parts, pxMs)) as Promise<'OK' | null>;
}

export class FrameSetCommand extends Command {
  /** The command up to the value's first byte. */
  private readonly head: Buffer;
  /** The value's trailer (content-frame.ts) and the command after the value. */
  private readonly end: Buffer;

  constructor(
    key: string,
    private readonly parts: readonly Buffer[],
    pxMs: number,
  ) {
    const px = String(Math.round(pxMs));
    // The value's place holds '' for ioredis (its key lookup for Cluster routing reads args[0] only).
    super('set', [key, '', 'PX', px, 'NX'], { replyEncoding: 'utf8' });
    this.head = Buffer.from(`*6\r\n$3\r\nset\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${frameLength(parts)}\r\n`, 'utf8');
    const trailer = frameTrailer(parts.map((p) => p.length));
    const tail = `\r\n$2\r\nPX\r\n$${px.length}\r\n${px}\r\n$2\r\nNX\r\n`;
    this.end = Buffer.allocUnsafe(trailer.length + tail.length);
    trailer.copy(this.end, 0);
    this.end.write(tail, trailer.length, 'latin1');
  }

  /** With the socket (as ioredis sends it): head and parts written to it, the rest returned. Else the whole command. */
  override toWritable(socket?: unknown): Buffer {
    if (socket instanceof Socket) {
      socket.write(this.head);
      for (const p of this.parts) if (p.length > 0) socket.write(p);
      return this.end;
    }
    return Buffer.concat([this.head, ...this.parts, this.end]);
  }
}

/**
 * `SET key <bytes> PX ms NX` (first: true) or `APPEND key <bytes>`: a content stage's slice (content-stage.ts),
 * written to the socket as it is, as setFrame writes a frame's parts: through `redis.set(key, bytes, ...)`
 * ioredis copied each slice (up to 64 KB) into a command buffer of its own first. The same bytes on the wire.
 */
export function writeSlice(
  redis: Redis | Cluster,
  key: string,
  bytes: Buffer,
  first: boolean,
  pxMs: number,
): Promise<'OK' | number | null> {
  return redis.sendCommand(new SliceCommand(key, bytes, first ? ['PX', String(Math.round(pxMs)), 'NX'] : [])) as Promise<
    'OK' | number | null
  >;
}

export class SliceCommand extends Command {
  private readonly head: Buffer;
  private readonly end: Buffer;

  constructor(
    key: string,
    private readonly bytes: Buffer,
    /** The arguments after the value: none for APPEND, else SET's. */
    after: readonly string[],
  ) {
    const name = after.length === 0 ? 'append' : 'set';
    super(name, [key, '', ...after], { replyEncoding: 'utf8' });
    this.head = Buffer.from(
      `*${3 + after.length}\r\n$${name.length}\r\n${name}\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${bytes.length}\r\n`,
      'utf8',
    );
    let tail = '\r\n';
    for (const a of after) tail += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.end = Buffer.from(tail, 'utf8');
  }

  /** With the socket (as ioredis sends it): head and bytes written to it, the rest returned. Else the whole command. */
  override toWritable(socket?: unknown): Buffer {
    if (socket instanceof Socket) {
      socket.write(this.head);
      if (this.bytes.length > 0) socket.write(this.bytes);
      return this.end;
    }
    return Buffer.concat([this.head, this.bytes, this.end]);
  }
}
