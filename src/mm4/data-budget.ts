/**
 * The DATA bytes the MM4 listener holds at once, all sessions together (mm4.maxInFlightDataBytes): each
 * session counts at most mm4.maxMessageBytes of its message while it arrives (held in memory, or on its way
 * to the store's content stage), so without this the listener could take in maxConnections times that at
 * once. A transaction whose next bytes do not fit holds nothing more; it is answered as the listener being busy (the catalogue's
 * `overloaded`, 421 4.3.2: the peer retries later, RFC 5321 §4.5.4.1). A session alone on the listener always
 * fits, so a budget below the message limit cannot starve the largest messages.
 */
export class DataBudget {
  private held = 0;

  /** `changed`: told the bytes held after every change (the metric). */
  constructor(
    readonly maxBytes: number,
    private readonly changed: (bytes: number) => void = () => undefined,
  ) {}

  /** One transaction's share: take() as bytes arrive, release() once it is answered. */
  open(): DataHold {
    return new DataHold(this);
  }

  /** @internal DataHold: false when `more` bytes beyond the `own` it holds do not fit. */
  grow(own: number, more: number): boolean {
    if (this.held + more > this.maxBytes && this.held - own > 0) return false;
    this.held += more;
    this.changed(this.held);
    return true;
  }

  /** @internal DataHold */
  release(bytes: number): void {
    this.held -= bytes;
    this.changed(this.held);
  }

  get bytes(): number {
    return this.held;
  }
}

export class DataHold {
  private own = 0;
  private done = false;

  constructor(private readonly budget: DataBudget) {}

  /** `n` more bytes are to be held; false when they do not fit (then nothing more is held for this transaction). */
  take(n: number): boolean {
    if (this.done || !this.budget.grow(this.own, n)) return false;
    this.own += n;
    return true;
  }

  /** The transaction is answered (or gone): its bytes are no longer held. Safe to call more than once. */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.budget.release(this.own);
  }
}
