import { Cluster, type Redis } from 'ioredis';

/**
 * ioredis writes every command to its socket at once: one write(2) a command, and Redis reads them one
 * read(2) at a time too. A busy gateway issues tens of commands in one turn of the event loop (the enqueues
 * of concurrent submissions, a take's settles and content reads, the reads of the requests whose sockets
 * were readable in the same poll), so `hold()` corks the connection's socket until the turn's I/O callbacks
 * have run (setImmediate: the check phase that follows the poll phase): Node then sends the commands of that
 * turn in one writev(2), and Redis reads them in one read(2). Nothing waits longer than the current turn
 * (a command issued in the check phase itself goes at the next one, which does not wait for I/O while an
 * immediate is pending), and the commands and their order are those ioredis would have written. Per tick
 * (process.nextTick) only the commands of one socket's callback went together: in the whole-flow bench
 * the gateway then wrote ~4.5 times to Redis per transaction, and Redis read as often (bench/flow.ts).
 * One coalescer per client (coalescerFor): every store on the connection shares it.
 */
export class WriteCoalescer {
  private corked = false;

  constructor(private readonly client: Redis | Cluster) {}

  hold(): void {
    if (this.corked) return;
    // A Cluster writes to one connection per node: cork those that are up (a handful of masters).
    const sockets = (this.client instanceof Cluster ? this.client.nodes() : [this.client])
      .filter((c) => c.status === 'ready')
      .map((c) => c.stream)
      .filter((s) => s?.writable);
    if (sockets.length === 0) return;
    this.corked = true;
    for (const s of sockets) s.cork();
    setImmediate(() => {
      this.corked = false;
      // The very sockets corked above: a reconnect in between leaves the new socket untouched.
      for (const s of sockets) s.uncork();
    });
  }
}

const coalescers = new WeakMap<Redis | Cluster, WriteCoalescer>();

/** The one coalescer of `client`. */
export function coalescerFor(client: Redis | Cluster): WriteCoalescer {
  let c = coalescers.get(client);
  if (!c) coalescers.set(client, (c = new WriteCoalescer(client)));
  return c;
}
