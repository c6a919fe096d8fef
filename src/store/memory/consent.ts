import type { ConsentChange, ConsentEntry, ConsentRecord, ConsentStore } from '../../core/ports.js';

/** History kept per (sender, subscriber) pair, by default. */
export const CONSENT_HISTORY_LIMIT = 50;

interface Pair {
  current: ConsentChange;
  /** Oldest first, at most `historyLimit`. */
  history: ConsentChange[];
}

/** The consent registry in this process (the embedded store: gone with the process). */
export class MemoryConsent implements ConsentStore {
  /** sender -> subscriber -> pair. */
  private readonly senders = new Map<string, Map<string, Pair>>();

  constructor(private readonly historyLimit = CONSENT_HISTORY_LIMIT) {
    if (!Number.isInteger(historyLimit) || historyLimit < 1) throw new RangeError(`historyLimit must be >= 1, got ${historyLimit}`);
  }

  async get(sender: string, subscriber: string): Promise<ConsentRecord | undefined> {
    const pair = this.senders.get(sender)?.get(subscriber);
    if (!pair) return undefined;
    return { sender, subscriber, ...pair.current, history: pair.history.map((h) => ({ ...h })) };
  }

  async set(sender: string, subscriber: string, change: ConsentChange): Promise<void> {
    this.write({ sender, subscriber, ...change }, false);
  }

  async *export(sender?: string): AsyncIterable<ConsentEntry> {
    const senders = sender === undefined ? [...this.senders.keys()] : [sender];
    for (const s of senders) {
      for (const [subscriber, pair] of this.senders.get(s) ?? []) yield { sender: s, subscriber, ...pair.current };
    }
  }

  async import(entries: readonly ConsentEntry[]): Promise<number> {
    let current = 0;
    for (const e of entries) if (this.write(e, true)) current++;
    return current;
  }

  /** Appends the change; makes it current unless `onlyIfNewer` and the pair has a newer one. */
  private write(e: ConsentEntry, onlyIfNewer: boolean): boolean {
    const change = changeOf(e);
    let subs = this.senders.get(e.sender);
    if (!subs) this.senders.set(e.sender, (subs = new Map()));
    const pair = subs.get(e.subscriber);
    if (!pair) {
      subs.set(e.subscriber, { current: change, history: [change] });
      return true;
    }
    pair.history.push(change);
    if (pair.history.length > this.historyLimit) pair.history.splice(0, pair.history.length - this.historyLimit);
    if (onlyIfNewer && pair.current.at > change.at) return false;
    pair.current = change;
    return true;
  }
}

/** The change alone (no sender/subscriber), without an undefined proof. */
export function changeOf(e: ConsentChange): ConsentChange {
  return { state: e.state, source: e.source, at: e.at, ...(e.proof !== undefined ? { proof: e.proof } : {}) };
}
