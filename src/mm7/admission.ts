import type { VaspConfig } from '../ops/config.js';

/** Why a request was not let in: the account's own concurrency, or the listener's body budget. */
export type AdmissionRefusal = { ok: false; reason: 'vasp-in-flight' | 'listener-bytes'; text: string };

export type AdmissionResult = { ok: true; ticket: BodyTicket } | AdmissionRefusal;

/**
 * What the MM7 listener (MM7 and the REST API) lets in before it reads a byte of a request body, so that
 * what a client sends is bounded by configuration before any of it is held:
 * - per VASP account, at most its `maxInFlight` requests with a body at once on this listener (the same limit
 *   the store's throttle slot applies to submissions across instances, but that one is taken only once the
 *   body has been read);
 * - across accounts, at most `maxBytes` of bodies being received: a declared Content-Length is reserved whole
 *   on admission, a chunked body is counted as it arrives. One request alone is always let in (up to the body
 *   limit, enforced elsewhere), so a cap below the body limit cannot starve the largest requests.
 * Both refusals are transient: the client retries once something in flight has been answered.
 */
export class Admission {
  private readonly requests = new Map<string, number>();
  private total = 0;
  private bytes = 0;

  /** `changed`: told the requests and bytes in flight after every change (the metrics). */
  constructor(
    private readonly maxBytes: number,
    private readonly changed: (requests: number, bytes: number) => void = () => undefined,
  ) {}

  /** `declared`: the request's Content-Length (already capped at the body limit), undefined when chunked. */
  admit(vasp: VaspConfig, declared: number | undefined): AdmissionResult {
    const held = this.requests.get(vasp.id) ?? 0;
    if (held >= vasp.maxInFlight) {
      return {
        ok: false,
        reason: 'vasp-in-flight',
        text: `VASP ${vasp.id} has ${held} requests in progress, its limit (maxInFlight): retry once one is answered`,
      };
    }
    const reserve = declared ?? 0;
    if (!this.fits(reserve, 0)) return this.full();
    this.requests.set(vasp.id, held + 1);
    this.total++;
    this.bytes += reserve;
    this.changed(this.total, this.bytes);
    return { ok: true, ticket: new BodyTicket(this, vasp.id, reserve) };
  }

  /** @internal BodyTicket: `more` bytes beyond the `own` a ticket holds already; false when over the budget. */
  grow(own: number, more: number): boolean {
    if (!this.fits(more, own)) return false;
    this.bytes += more;
    this.changed(this.total, this.bytes);
    return true;
  }

  /** @internal BodyTicket */
  release(vaspId: string, bytes: number): void {
    this.bytes -= bytes;
    this.total--;
    const n = (this.requests.get(vaspId) ?? 1) - 1;
    if (n > 0) this.requests.set(vaspId, n);
    else this.requests.delete(vaspId);
    this.changed(this.total, this.bytes);
  }

  /** The refusal of a request whose chunked body grew past the budget (BodyTicket.take said false). */
  refusal(): AdmissionRefusal {
    return this.full();
  }

  private fits(more: number, own: number): boolean {
    // Alone on the listener (nobody else holds a byte): let in, so that progress is always possible.
    return this.bytes + more <= this.maxBytes || this.bytes - own === 0;
  }

  private full(): AdmissionRefusal {
    return {
      ok: false,
      reason: 'listener-bytes',
      text: `the listener is receiving ${this.bytes} bytes of requests, its limit (mm7.maxInFlightBodyBytes): retry later`,
    };
  }
}

/** One admitted request: counts its body as it arrives against its reservation, and gives everything back at its end. */
export class BodyTicket {
  private received = 0;
  private released = false;

  constructor(
    private readonly admission: Admission,
    private readonly vaspId: string,
    private reserved: number,
  ) {}

  /** `n` more body bytes arrived; false when they take the listener over its budget (the request is to be refused). */
  take(n: number): boolean {
    this.received += n;
    if (this.received <= this.reserved || this.released) return true;
    const more = this.received - this.reserved;
    if (!this.admission.grow(this.reserved, more)) return false;
    this.reserved += more;
    return true;
  }

  /** The request is over (answered, failed or gone). Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.admission.release(this.vaspId, this.reserved);
  }
}
