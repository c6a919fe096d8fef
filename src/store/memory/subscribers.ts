import type { SubscriberFlags, SubscriberStore } from '../../core/ports.js';

/** Subscriber flags in this process only (the embedded store: gone with the process). */
export class MemorySubscribers implements SubscriberStore {
  private readonly flags = new Map<string, SubscriberFlags>();

  async get(address: string): Promise<SubscriberFlags> {
    return { ...(this.flags.get(address) ?? { optedOut: false, textOnly: false }) };
  }

  async setOptedOut(address: string, optedOut: boolean): Promise<void> {
    this.set(address, { optedOut });
  }

  async setTextOnly(address: string, textOnly: boolean): Promise<void> {
    this.set(address, { textOnly });
  }

  private set(address: string, change: Partial<SubscriberFlags>): void {
    const next = { optedOut: false, textOnly: false, ...this.flags.get(address), ...change };
    if (!next.optedOut && !next.textOnly) this.flags.delete(address);
    else this.flags.set(address, next);
  }
}
