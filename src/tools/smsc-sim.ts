/**
 * SMSC SIMULATOR: a test double for an SMSC (the MC side of SMPP 3.4), for tests and benchmarks of the
 * SMPP client, and for integrators (`mmsc smsc-sim`, `mmsc demo`), as Kannel's fakesmsc is. It is NOT an SMSC and not a reference: it stores nothing, routes nothing, and answers only
 * what the client exercises (binds, submit_sm, enquire_link, unbind; deliver_sm receipts and MO messages
 * on demand). Built on node-smpp's server side (smpp.createServer), so the bytes on the wire come from a
 * codec other than the client's own PDU reader.
 *
 * Acceptance model: a submit_sm counts as accepted ("at the SMSC", in `submits` with a message id) at the
 * moment its submit_sm_resp (status 0) is written, as an SMSC that commits and answers in one step and
 * forgets what it has not answered when the connection goes. With `ackDelayMs`, a submit received and
 * not yet answered when the connection drops (restart(), dropAfter) is not accepted.
 *
 * Knobs: wrong system_id / password (bind refused, ESME_RINVSYSID / ESME_RINVPASWD), `ackDelayMs`,
 * `throttleEvery` (every Nth submit_sm answered ESME_RTHROTTLED), `maxWindow` (ESME_RTHROTTLED beyond that
 * many unanswered on a connection), `statusFor` (any answer per submit, or none), `receipts` (a deliver_sm
 * receipt after each accepted submit asking for one: text form, TLV form, or both), `dropAfter`,
 * `answerEnquireLink`. Observations: `binds`, `submits`, `maxOutstanding`, `enquireLinks`, `unbinds`,
 * `deliveries` (deliver_sm sent and how they were answered).
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import smpp from 'smpp';
import { type BindRecord, type DeliveryRecord, type MoOptions, recordOf, type SubmitRecord } from './smsc-records.js';

export type { BindRecord, DeliveryRecord, MoOptions, SubmitRecord } from './smsc-records.js';

export interface SmscOptions {
  /** The bind's system_id and password; unset: any is accepted. */
  systemId?: string;
  password?: string;
  /** Listen port (default 0: any free one; restart() keeps the one chosen). */
  port?: number;
  /** Listen address (default 127.0.0.1: the simulator is for loopback use). */
  host?: string;
  /** Called with each deliver_sm (receipt or MO) once the client answered it. */
  onDeliver?: (d: DeliveryRecord) => void;
  /** Called with each bind once answered. */
  onBind?: (b: BindRecord) => void;
  /** Called with each submit_sm once answered (its status and, when accepted, its message id set). */
  onSubmit?: (s: SubmitRecord) => void;
  /** Wait this long before answering each submit_sm (default 0: answer at once). */
  ackDelayMs?: number;
  /** Answer every Nth submit_sm received (counted over the run) ESME_RTHROTTLED. */
  throttleEvery?: number;
  /** Answer ESME_RTHROTTLED to a submit_sm that finds this many or more unanswered on its connection. */
  maxWindow?: number;
  /** The command_status to answer a submit_sm with (0 = accept), or 'ignore' to never answer it. Asked after throttleEvery/maxWindow. */
  statusFor?: (s: SubmitRecord) => number | 'ignore';
  /** After an accepted submit_sm with registered_delivery bits 1-0 set, send a receipt deliver_sm in this form. */
  receipts?: 'text' | 'tlv' | 'both';
  /** Close the connection (destroy, no answer) on receiving the Nth submit_sm of the run; once. */
  dropAfter?: number;
  /** Answer enquire_link (default true; false plays a dead peer). */
  answerEnquireLink?: boolean;
  /** Keep every submit in `submits` (default true; the benchmark turns it off). */
  record?: boolean;
}

interface Conn {
  session: smpp.Session;
  bound: 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver' | undefined;
  alive: boolean;
  outstanding: number;
  timers: Set<NodeJS.Timeout>;
}

const STATUS = { ROK: 0x00, RINVBNDSTS: 0x04, RALYBND: 0x05, RINVPASWD: 0x0e, RINVSYSID: 0x0f, RTHROTTLED: 0x58 } as const;

/** YYMMDDhhmm (Appendix B dates). */
const receiptDate = (d: Date) => d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3$4$5');

export class Smsc {
  port = 0;
  readonly binds: BindRecord[] = [];
  readonly submits: SubmitRecord[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  received = 0;
  accepted = 0;
  outstanding = 0;
  maxOutstanding = 0;
  enquireLinks = 0;
  unbinds = 0;
  /** PDUs from the client that node-smpp did not know (command 'unknown'). */
  unknownPdus = 0;
  private readonly conns = new Map<smpp.Session, Conn>();
  private server: smpp.Server | undefined;
  private nextId = 0x3a000000;
  private dropped = false;
  private readonly waiters = new Set<{ n: number; resolve: () => void }>();

  constructor(readonly o: SmscOptions) {}

  async listen(): Promise<number> {
    const server = smpp.createServer((session) => this.accept(session));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port || this.o.port || 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  private accept(session: smpp.Session): void {
    const conn: Conn = { session, bound: undefined, alive: true, outstanding: 0, timers: new Set() };
    this.conns.set(session, conn);
    session.socket.setNoDelay(true); // as SMSCs do; with Nagle, answers would wait for the client's delayed ACKs
    session.on('error', () => {}); // resets from a client going away: 'close' follows
    session.on('close', () => this.forget(conn));
    session.on('pdu', (pdu) => {
      if (conn.alive) this.handle(conn, pdu);
    });
  }

  private handle(conn: Conn, pdu: smpp.PDU): void {
    const handler = HANDLERS.get(pdu.command);
    if (handler) handler(this, conn, pdu);
    else if (pdu.command === 'unknown') this.unknownPdus++;
  }

  bind(conn: Conn, pdu: smpp.PDU): void {
    const systemId = String(pdu.system_id);
    const password = String(pdu.password);
    const status = conn.bound
      ? STATUS.RALYBND
      : this.o.systemId !== undefined && systemId !== this.o.systemId
        ? STATUS.RINVSYSID
        : this.o.password !== undefined && password !== this.o.password
          ? STATUS.RINVPASWD
          : STATUS.ROK;
    this.binds.push({
      command: pdu.command,
      systemId,
      password,
      interfaceVersion: Number(pdu.interface_version),
      status,
      at: performance.now(),
    });
    if (status === STATUS.ROK) conn.bound = pdu.command as Conn['bound'];
    conn.session.send(pdu.response({ command_status: status, system_id: 'SMSC-SIM' }));
    this.o.onBind?.(this.binds[this.binds.length - 1]!);
  }

  submit(conn: Conn, pdu: smpp.PDU): void {
    if (conn.bound !== 'bind_transceiver' && conn.bound !== 'bind_transmitter') {
      conn.session.send(pdu.response({ command_status: STATUS.RINVBNDSTS }));
      return;
    }
    const n = ++this.received;
    if (this.o.dropAfter !== undefined && n >= this.o.dropAfter && !this.dropped) {
      this.dropped = true;
      this.kill(conn, false);
      return;
    }
    const rec = recordOf(n, pdu);
    if (this.o.record !== false) this.submits.push(rec);
    let status: number | 'ignore' = STATUS.ROK;
    if (this.o.throttleEvery && n % this.o.throttleEvery === 0) status = STATUS.RTHROTTLED;
    else if (this.o.maxWindow !== undefined && conn.outstanding >= this.o.maxWindow) status = STATUS.RTHROTTLED;
    else if (this.o.statusFor) status = this.o.statusFor(rec);
    if (status === 'ignore') return;
    conn.outstanding++;
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const answer = (s: number) => {
      if (!conn.alive) return; // the connection went first: not answered, not accepted
      conn.outstanding--;
      this.outstanding--;
      rec.status = s;
      if (s !== STATUS.ROK) {
        conn.session.send(pdu.response({ command_status: s }));
        this.o.onSubmit?.(rec);
        return;
      }
      rec.messageId = (this.nextId++).toString(16);
      conn.session.send(pdu.response({ message_id: rec.messageId }));
      this.o.onSubmit?.(rec);
      this.accepted++;
      for (const w of this.waiters) if (this.accepted >= w.n) this.waiters.delete(w), w.resolve();
      if (this.o.receipts && (rec.registeredDelivery & 0x03) !== 0) setImmediate(() => this.sendReceipt(conn, rec));
    };
    if (!this.o.ackDelayMs) return answer(status);
    const timer = setTimeout(() => {
      conn.timers.delete(timer);
      answer(status as number);
    }, this.o.ackDelayMs);
    conn.timers.add(timer);
  }

  private sendReceipt(origin: Conn, rec: SubmitRecord): void {
    const form = this.o.receipts!;
    const now = receiptDate(new Date());
    const text = `id:${rec.messageId} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:${rec.text.slice(0, 20)}`;
    const params: smpp.PduParams = {
      source_addr: rec.destinationAddr,
      source_addr_ton: rec.destAddrTon,
      source_addr_npi: rec.destAddrNpi,
      destination_addr: rec.sourceAddr,
      dest_addr_ton: rec.sourceAddrTon,
      dest_addr_npi: rec.sourceAddrNpi,
      esm_class: 0x04,
      data_coding: 0,
      short_message: form === 'tlv' ? Buffer.alloc(0) : Buffer.from(text, 'latin1'),
    };
    if (form !== 'text') {
      params.receipted_message_id = rec.messageId;
      params.message_state = 2; // DELIVERED
    }
    this.deliver(origin, 'receipt', params, rec.messageId);
  }

  /** A deliver_sm to a receiving connection (`prefer` if it can receive): the client's deliver_sm_resp status. */
  private deliver(prefer: Conn | undefined, kind: DeliveryRecord['kind'], params: smpp.PduParams, messageId?: string): Promise<number> {
    const conn = prefer?.alive && receives(prefer) ? prefer : [...this.conns.values()].find((c) => c.alive && receives(c));
    if (!conn) return Promise.reject(new Error('SMSC simulator: no bound receiver or transceiver session'));
    const rec: DeliveryRecord = { kind, messageId };
    this.deliveries.push(rec);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SMSC simulator: no deliver_sm_resp')), 5000);
      conn.session.send(new smpp.PDU('deliver_sm', params), (resp) => {
        clearTimeout(timer);
        rec.status = resp.command_status;
        this.o.onDeliver?.(rec);
        resolve(resp.command_status);
      });
    });
  }

  /** Sends an MO deliver_sm (or anything else by esmClass and TLVs): resolves with the client's deliver_sm_resp status. */
  sendMo(m: MoOptions): Promise<number> {
    const params: smpp.PduParams = {
      source_addr: m.sourceAddr,
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: m.destinationAddr,
      esm_class: m.esmClass ?? 0,
      data_coding: m.dataCoding ?? 0,
      short_message: m.payload ? Buffer.alloc(0) : m.octets,
      ...m.tlvs,
    };
    if (m.payload) params.message_payload = m.octets;
    return this.deliver(undefined, (m.esmClass ?? 0) & 0x3c ? 'receipt' : 'mo', params);
  }

  /** Sends enquire_link on every bound connection: the statuses answered. */
  enquireLink(): Promise<number[]> {
    return Promise.all(this.bound().map((c) => this.ask(c, new smpp.PDU('enquire_link'))));
  }

  /** Unbinds every bound connection (§4.2; the client should answer and reconnect): the statuses answered. */
  unbindAll(): Promise<number[]> {
    return Promise.all(this.bound().map((c) => this.ask(c, new smpp.PDU('unbind'))));
  }

  /**
   * Writes a PDU of our own making (command_id, body; command_length computed unless given) on the first
   * bound connection; resolves with the client's response of the same sequence_number.
   */
  sendRaw(commandId: number, body: Buffer = Buffer.alloc(0), commandLength?: number): Promise<{ command: string; status: number }> {
    const conn = this.bound()[0];
    if (!conn) return Promise.reject(new Error('SMSC simulator: not bound'));
    const seq = 0x7000_0001;
    const header = Buffer.alloc(16);
    header.writeUInt32BE(commandLength ?? 16 + body.length, 0);
    header.writeUInt32BE(commandId, 4);
    header.writeUInt32BE(0, 8);
    header.writeUInt32BE(seq, 12);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.session.removeListener('pdu', listener);
        reject(new Error('SMSC simulator: no answer to the raw PDU'));
      }, 2_000);
      const listener = (pdu: smpp.PDU) => {
        if (pdu.sequence_number !== seq || !pdu.isResponse()) return;
        clearTimeout(timer);
        conn.session.removeListener('pdu', listener);
        resolve({ command: pdu.command, status: pdu.command_status });
      };
      conn.session.on('pdu', listener);
      conn.session.socket.write(Buffer.concat([header, body]));
    });
  }

  private ask(conn: Conn, pdu: smpp.PDU): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SMSC simulator: no answer to ${pdu.command}`)), 5000);
      conn.session.send(pdu, (resp) => {
        clearTimeout(timer);
        resolve(resp.command_status);
      });
    });
  }

  private bound(): Conn[] {
    return [...this.conns.values()].filter((c) => c.alive && c.bound);
  }

  /** Resolves once `n` submits were accepted over the run. */
  whenAccepted(n: number): Promise<void> {
    if (this.accepted >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ n, resolve }));
  }

  /** Accepted submits per message text: what "at the SMSC exactly once" is checked against. */
  acceptedByText(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.submits) if (s.messageId !== undefined) m.set(s.text, (m.get(s.text) ?? 0) + 1);
    return m;
  }

  /** Bound sessions now. */
  get sessions(): number {
    return this.bound().length;
  }

  /** Unanswered submits of the connection are dropped (never accepted); graceful ends after what was written. */
  private kill(conn: Conn, graceful: boolean): void {
    if (!conn.alive) return;
    conn.alive = false;
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    this.outstanding -= conn.outstanding;
    conn.outstanding = 0;
    if (graceful) conn.session.close();
    else conn.session.destroy();
  }

  private forget(conn: Conn): void {
    this.kill(conn, false);
    this.conns.delete(conn.session);
  }

  /** Closes every connection (graceful: FIN after the answers already written) and the listener. */
  private async shutdown(graceful: boolean): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const sockets = [...this.conns.values()].map((c) => c.session.socket);
    for (const c of this.conns.values()) this.kill(c, graceful);
    const fallback = setTimeout(() => sockets.forEach((s) => s.destroy()), 1_000);
    await closed;
    clearTimeout(fallback);
  }

  /** Closes every connection and the listener, then listens again on the same port. */
  async restart(): Promise<void> {
    await this.shutdown(true);
    await this.listen();
  }

  async stop(): Promise<void> {
    await this.shutdown(false);
  }
}

const receives = (c: Conn) => c.bound === 'bind_transceiver' || c.bound === 'bind_receiver';

const HANDLERS: ReadonlyMap<string, (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => void> = new Map([
  ['bind_transceiver', (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => smsc.bind(conn, pdu)],
  ['bind_transmitter', (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => smsc.bind(conn, pdu)],
  ['bind_receiver', (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => smsc.bind(conn, pdu)],
  ['submit_sm', (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => smsc.submit(conn, pdu)],
  [
    'enquire_link',
    (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => {
      smsc.enquireLinks++;
      if (smsc.o.answerEnquireLink !== false) conn.session.send(pdu.response());
    },
  ],
  [
    'unbind',
    (smsc: Smsc, conn: Conn, pdu: smpp.PDU) => {
      smsc.unbinds++;
      conn.bound = undefined;
      conn.session.send(pdu.response());
      conn.session.close();
    },
  ],
]);

export async function startSmsc(o: SmscOptions): Promise<Smsc> {
  const smsc = new Smsc(o);
  await smsc.listen();
  return smsc;
}
