import { Cluster, type Redis } from 'ioredis';

/**
 * ioredis writes every command to its socket at once: one write(2) a command, and Redis reads them one
 * read(2) at a time too. A busy gateway issues tens of commands in one turn of the event loop (the enqueues
 * of concurrent submissions, a take's settles and content reads, the reads of the requests whose sockets
 * were readable in the same poll), so `hold()` corks the connection's socket until the turn's I/O callbacks
 * have run (setImmediate: the check phase that follows the poll phase): Node then sends the commands of that
 * turn in one writev(2), and Redis reads them in one read(2). Per tick (process.nextTick) only the commands
 * of one socket's callback went together: in the whole-flow bench the gateway wrote to Redis ~4.5 times a
 * transaction, and Redis read as often (bench/flow.ts). The commands and their order are those ioredis
 * would have written; nothing waits longer than the current turn.
 * A batch flush (batcher.ts) runs in the check phase itself, after which a turn's hold would wait for the
 * next turn: what is held while one runs (inFlush) goes at the end of its tick instead, as before.
 * One coalescer per client (coalescerFor): every store on the connection shares it.
 */
export class WriteCoalescer {
  /** The sockets corked, until a release. */
  private held: Array<NonNullable<Redis['stream']>> | undefined;
  private turnRelease = false;
  private tickRelease = false;

  constructor(private readonly client: Redis | Cluster) {}

  hold(): void {
    if (!this.held) {
      // A Cluster writes to one connection per node: cork those that are up (a handful of masters).
      const sockets = (this.client instanceof Cluster ? this.client.nodes() : [this.client])
        .filter((c) => c.status === 'ready')
        .map((c) => c.stream)
        .filter((s) => s?.writable);
      if (sockets.length === 0) return;
      for (const s of sockets) s.cork();
      this.held = sockets;
    }
    // Whatever is held has a release pending, at the latest at the end of this turn.
    if (flushing > 0) {
      if (this.tickRelease) return;
      this.tickRelease = true;
      process.nextTick(() => {
        this.tickRelease = false;
        this.release();
      });
    } else if (!this.turnRelease) {
      this.turnRelease = true;
      setImmediate(() => {
        this.turnRelease = false;
        this.release();
      });
    }
  }

  private release(): void {
    const sockets = this.held;
    this.held = undefined;
    // The very sockets corked: a reconnect in between leaves the new socket untouched.
    if (sockets) for (const s of sockets) s.uncork();
  }
}

/** Batch flushes running now (inFlush). */
let flushing = 0;

/** Runs `fn`, a batch flush in the check phase: commands held while it runs go at the end of its tick. */
export function inFlush(fn: () => void): void {
  flushing++;
  try {
    fn();
  } finally {
    flushing--;
  }
}

const coalescers = new WeakMap<Redis | Cluster, WriteCoalescer>();

/** The one coalescer of `client`. */
export function coalescerFor(client: Redis | Cluster): WriteCoalescer {
  let c = coalescers.get(client);
  if (!c) coalescers.set(client, (c = new WriteCoalescer(client)));
  return c;
}
