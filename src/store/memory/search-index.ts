import type { CoreMessage } from '../../core/message.js';
import type { MessageSearch, MessageSearchPage } from '../../core/ports.js';
import { after, decodeCursor, encodeCursor } from '../../core/search-cursor.js';

/** The key prefix of each kind of search. */
const DIRECTION = { recipient: 'to', originator: 'from', account: 'acct' } as const;

/** Entries of one address, oldest first. */
type Entries = Array<{ at: number; id: string }>;

/** Writes between sweeps of every address (so that addresses never written again let their entries go). */
const SWEEP_EVERY = 4096;

/**
 * The embedded store's search index (Queue.search): per address and direction, the message ids by receivedAt.
 * Entries go after `lifetimeMs`, or once their message is no longer stored (the embedded store holds nothing
 * it cannot show): trimmed from the front of an address' list at each write to it, and in a sweep of every
 * address every SWEEP_EVERY writes, so the index never holds much more than the store's messages.
 */
export class MemorySearchIndex {
  private readonly lists = new Map<string, Entries>();
  private writes = 0;

  constructor(
    private readonly lifetimeMs: number,
    private readonly stored: (id: string) => boolean,
  ) {}

  add(message: CoreMessage, now: number): void {
    if (this.lifetimeMs <= 0) return;
    const keys = new Set([
      `from:${message.originator.address}`,
      ...message.recipients.map((r) => `to:${r.address}`),
      // The account's own submissions only (the sender's API lists them): not the reports and events queued back to it.
      ...(message.report || message.ack ? [] : [`acct:${message.origin.iface}:${message.origin.peer}`]),
    ]);
    for (const key of keys) {
      let list = this.lists.get(key);
      if (!list) this.lists.set(key, (list = []));
      this.trim(list, now);
      // Kept in order of receivedAt: an out-of-order one is placed by binary search.
      let lo = list.length;
      if (lo > 0 && list[lo - 1]!.at > message.receivedAt) {
        lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid]!.at <= message.receivedAt) lo = mid + 1;
          else hi = mid;
        }
      }
      list.splice(lo, 0, { at: message.receivedAt, id: message.id });
    }
    if (++this.writes % SWEEP_EVERY === 0) this.sweep(now);
  }

  search(q: MessageSearch, now: number): MessageSearchPage {
    const list = this.lists.get(`${DIRECTION[q.by]}:${q.address}`) ?? [];
    this.trim(list, now);
    const position = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const hits: MessageSearchPage['hits'] = [];
    // Newest first; ids of one millisecond in descending order, as the Redis index's reverse range gives them.
    const window = list
      .filter((e) => e.at >= q.from && e.at >= now - this.lifetimeMs && e.at <= q.to && after(e.at, e.id, position) && this.stored(e.id))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    for (const e of window.slice(0, q.limit)) hits.push({ messageId: e.id, at: e.at });
    const page: MessageSearchPage = { hits };
    const last = hits[hits.length - 1];
    if (window.length > q.limit && last) page.next = encodeCursor({ at: last.at, messageId: last.messageId });
    return page;
  }

  clear(): void {
    this.lists.clear();
  }

  private trim(list: Entries, now: number): void {
    let n = 0;
    while (n < list.length && (list[n]!.at < now - this.lifetimeMs || !this.stored(list[n]!.id))) n++;
    if (n > 0) list.splice(0, n);
  }

  private sweep(now: number): void {
    for (const [key, list] of this.lists) {
      this.trim(list, now);
      if (list.length === 0) this.lists.delete(key);
    }
  }
}
