import { inFlush } from './write-coalescer.js';

interface Call<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: calls made in the same turn of the event loop are gathered per group (a shard) and sent as
 * one Redis command when the turn ends (setImmediate). A worker settles or reads the content of a whole
 * take's batch at once, so one command serves tens of jobs: on Redis and on the client alike, a command
 * costs more than the work it carries. A call made alone waits only for the end of its turn.
 */
export class Batcher<I, R> {
  private pending = new Map<string, Call<I, R>[]>();
  private scheduled = false;

  constructor(
    /** Runs one group's items; returns one result per item, in order (or throws for all of them). */
    private readonly run: (group: string, items: I[]) => Promise<R[]>,
    /** Most items in one command (bounds a script's run time and its argument list). */
    private readonly maxBatch = 256,
    /**
     * The weight of an item (e.g. a message's recipients, each a job for the script) and the most weight in
     * one command; an item heavier than that alone goes in a command of its own.
     */
    private readonly weight: (item: I) => number = () => 1,
    private readonly maxWeight = Infinity,
  ) {}

  add(group: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let list = this.pending.get(group);
      if (!list) this.pending.set(group, (list = []));
      list.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => inFlush(() => this.flush()));
      }
    });
  }

  private flush(): void {
    const groups = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [group, list] of groups) {
      let chunk: Call<I, R>[] = [];
      let weight = 0;
      for (const call of list) {
        const w = this.weight(call.item);
        if (chunk.length > 0 && (chunk.length >= this.maxBatch || weight + w > this.maxWeight)) {
          this.send(group, chunk);
          chunk = [];
          weight = 0;
        }
        chunk.push(call);
        weight += w;
      }
      if (chunk.length > 0) this.send(group, chunk);
    }
  }

  private send(group: string, chunk: Call<I, R>[]): void {
    this.run(
      group,
      chunk.map((c) => c.item),
    ).then(
      (results) => {
        if (results.length !== chunk.length) {
          const err = new Error(`batch of ${chunk.length} got ${results.length} results`);
          chunk.forEach((c) => c.reject(err));
        } else chunk.forEach((c, k) => c.resolve(results[k]!));
      },
      (err: unknown) => chunk.forEach((c) => c.reject(err)),
    );
  }
}
