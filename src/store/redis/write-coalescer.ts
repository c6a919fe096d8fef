import { Cluster, type Redis } from 'ioredis';

/**
 * ioredis writes every command to its socket at once: one write(2) a command, and Redis reads them one
 * read(2) at a time too. A busy queue issues tens of commands in one turn of the event loop (the enqueues of
 * concurrent submissions, a take's settles and content reads), so `hold()` corks the connection's socket
 * until the current turn's ticks and microtasks have run (process.nextTick): Node then sends the commands
 * of that burst in one writev(2). Nothing waits longer than the current turn, and the commands and their
 * order are those ioredis would have written (measured in bench/queue.ts: about 15 % less CPU a message on
 * both the client and Redis).
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
    process.nextTick(() => {
      this.corked = false;
      // The very sockets corked above: a reconnect in between leaves the new socket untouched.
      for (const s of sockets) s.uncork();
    });
  }
}
