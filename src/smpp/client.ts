/**
 * SMPP 3.4 ESME client: binds to one SMSC (one transceiver session, or a transmitter and a receiver),
 * keeps the binds up (enquire_link, reconnect with backoff), sends submit_sm within a window, and turns
 * deliver_sm into 'receipt' and 'mo' events.
 *
 * Layers, bottom up: framing (PduReader, protocols/smpp), the parameter tables and codecs (node-smpp's PDU
 * encodes every PDU we send and decodes responses; deliver_sm is read by protocols/smpp, because node-smpp
 * decodes short_message to text by data_coding and the raw octets are not recoverable from that), one
 * Session per TCP connection
 * (sequence numbers, pending requests with a timer each, all failed when the connection drops), and the
 * SmppClient (window, waiters, events, metrics).
 *
 * The client never resends a submit_sm: a submit is sent once and settles once (message id, or an
 * SmppError); retrying is the caller's job.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import smpp from 'smpp';
import type { Metrics } from '../ops/metrics.js';
import { headerOf, isDeliveryReceipt, parseReceipt, PduReader, readDeliverSm, type DeliverSm, type Header, type Receipt } from '../../protocols/smpp/index.js';
import { ESME_STATUS, SmppError, THROTTLE_STATUSES, statusHex, statusName } from './errors.js';

export { SmppError, type SmppErrorCode } from './errors.js';
// The codecs the client's events carry, for its users.
export { isDeliveryReceipt, parseReceipt, PduReader, readDeliverSm, receiptFields, type DeliverSm, type Receipt } from '../../protocols/smpp/index.js';

// ---------------------------------------------------------------------------------------------------------
// The API.

export interface SmppClientOptions {
  /** SMSC connection name (metrics label `smsc`, log field `peer`). */
  id: string;
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  /** One bind_transceiver session (default), or a bind_transmitter and a bind_receiver session. */
  bindMode?: 'transceiver' | 'transmitter+receiver';
  /** submit_sm sent and not yet answered, at most (default 10). */
  window?: number;
  /** enquire_link interval while bound (default 30000); no answer within responseTimeoutMs drops the link. */
  enquireLinkMs?: number;
  /** A request without response by then: a submit_sm is rejected TIMEOUT, a bind or enquire_link drops the link (default 10000). */
  responseTimeoutMs?: number;
  /** Reconnect backoff: the n-th attempt in a row waits a random time in [d/2, d], d = min(max, min * 2^n) (defaults 500 / 30000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Submits waiting for a window slot, at most; beyond, submit rejects THROTTLED at once (default 1000). */
  queueLimit?: number;
  log: Logger;
  metrics?: Metrics;
  /** Clock for the elapsed times in logs, in ms (default performance.now). */
  now?: () => number;
}

/** A submit_sm (SMPP 3.4 §4.4.1). service_type, schedule_delivery_time and replace_if_present_flag are left empty/0. */
export interface SubmitSm {
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** The octets as they go out (UDH included when esmClass has 0x40), at most 254. */
  shortMessage?: Buffer;
  /** Sent in the message_payload TLV (0x0424) instead of short_message (then empty). */
  messagePayload?: Buffer;
  protocolId?: number;
  priorityFlag?: number;
  /** SMPP time format, 16 characters (absolute 'YYMMDDhhmmsstnnp' or relative '...R'), or '' for the SMSC default. */
  validityPeriod?: string;
}

export interface SubmitResult {
  messageId: string;
}

type BindMode = NonNullable<SmppClientOptions['bindMode']>;
type Resolved = Required<Pick<SmppClientOptions, 'window' | 'enquireLinkMs' | 'responseTimeoutMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'queueLimit' | 'now'>>;

const DEFAULTS: Omit<Resolved, 'now'> = {
  window: 10,
  enquireLinkMs: 30_000,
  responseTimeoutMs: 10_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  queueLimit: 1000,
};

// ---------------------------------------------------------------------------------------------------------
// Registries.

/** SMPP 3.4 §5.1.2.1 (Table 5-1): command_id values. A response is its request's id with bit 31 set. */
export const COMMAND_ID = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

export type CommandName = keyof typeof COMMAND_ID;

const COMMAND_NAMES: ReadonlyMap<number, CommandName> = new Map(
  (Object.entries(COMMAND_ID) as [CommandName, number][]).map(([name, id]) => [id, name]),
);

/** The metrics label of a command_id: its name, or 'unknown' (bounded). */
const commandLabel = (id: number): string => COMMAND_NAMES.get(id) ?? 'unknown';

const isResponseId = (id: number): boolean => id >= 0x80000000;

/** interface_version sent in binds (§5.2.4): 3.4. */
const INTERFACE_VERSION_34 = 0x34;

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------------------
// Submit parameters (framing, deliver_sm and receipts are pure codecs: protocols/smpp).

/** Why a submit is refused before it is sent (what the SMSC would answer), or undefined. */
function invalidSubmit(sm: SubmitSm): SmppError | undefined {
  const refuse = (status: number, why: string) => new SmppError('REJECTED', `${why} (not sent)`, status, false);
  if (sm.shortMessage && sm.shortMessage.length > 254) return refuse(ESME_STATUS.ESME_RINVMSGLEN, 'short_message over 254 octets');
  if (sm.messagePayload && sm.shortMessage && sm.shortMessage.length > 0)
    return refuse(ESME_STATUS.ESME_RINVMSGLEN, 'both short_message and message_payload');
  if (sm.messagePayload && sm.messagePayload.length > 0xffff) return refuse(ESME_STATUS.ESME_RINVPARLEN, 'message_payload over 65535 octets');
  if (sm.sourceAddr.length > 20) return refuse(ESME_STATUS.ESME_RINVSRCADR, 'source_addr over 20 characters');
  if (sm.destinationAddr.length > 20) return refuse(ESME_STATUS.ESME_RINVDSTADR, 'destination_addr over 20 characters');
  // node-smpp would pad a shorter string into a relative time: refuse instead of guessing.
  if (sm.validityPeriod && sm.validityPeriod.length !== 16) return refuse(ESME_STATUS.ESME_RINVEXPIRY, 'validity_period not 16 characters');
  return undefined;
}

/** submit_sm parameters for node-smpp's encoder (names of §4.4.1). */
function submitParams(sm: SubmitSm): smpp.PduParams {
  const p: smpp.PduParams = {
    service_type: '',
    source_addr_ton: sm.sourceAddrTon,
    source_addr_npi: sm.sourceAddrNpi,
    source_addr: sm.sourceAddr,
    dest_addr_ton: sm.destAddrTon,
    dest_addr_npi: sm.destAddrNpi,
    destination_addr: sm.destinationAddr,
    esm_class: sm.esmClass,
    protocol_id: sm.protocolId ?? 0,
    priority_flag: sm.priorityFlag ?? 0,
    schedule_delivery_time: '',
    validity_period: sm.validityPeriod ?? '',
    registered_delivery: sm.registeredDelivery,
    replace_if_present_flag: 0,
    data_coding: sm.dataCoding,
    sm_default_msg_id: 0,
    short_message: sm.shortMessage ?? EMPTY,
  };
  if (sm.messagePayload) p.message_payload = sm.messagePayload;
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// One SMPP session over one TCP connection, kept up by reconnecting.

type SessionKind = 'transceiver' | 'transmitter' | 'receiver';
type SessionState = 'idle' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'down' | 'closed';

type Outcome = { h: Header; pdu: Buffer } | SmppError;

interface Pending {
  command: CommandName;
  sentAt: number;
  timer: NodeJS.Timeout;
  done: (o: Outcome) => void;
}

/** What a Session needs from its client. */
interface SessionHost {
  readonly o: SmppClientOptions & Resolved;
  readonly log: Logger;
  count(commandId: number, direction: 'in' | 'out', status: number): void;
  up(s: Session): void;
  down(s: Session, reason: string): void;
  /** A deliver_sm: the command_status to answer. */
  deliver(pdu: Buffer): number;
}

const BIND_COMMAND: Record<SessionKind, CommandName> = {
  transceiver: 'bind_transceiver',
  transmitter: 'bind_transmitter',
  receiver: 'bind_receiver',
};

/** Requests the SMSC may send us, and how each is answered; anything else gets a generic_nack. */
const REQUEST_HANDLERS: ReadonlyMap<number, (s: Session, h: Header, pdu: Buffer) => void> = new Map([
  [COMMAND_ID.enquire_link, (s: Session, h: Header) => s.respond('enquire_link_resp', h.seq, ESME_STATUS.ESME_ROK)],
  [COMMAND_ID.unbind, (s: Session, h: Header) => s.peerUnbind(h)],
  [COMMAND_ID.deliver_sm, (s: Session, h: Header, pdu: Buffer) => s.deliverSm(h, pdu)],
  [COMMAND_ID.alert_notification, () => {}], // §4.12.1: no response PDU
]);

class Session {
  state: SessionState = 'idle';
  private socket: Socket | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private enquiring = false;
  private corked = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  readonly log: Logger;

  constructor(
    private readonly host: SessionHost,
    readonly kind: SessionKind,
  ) {
    this.log = host.log.child({ session: kind });
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  start(): void {
    if (this.state === 'idle') this.connect();
  }

  private connect(): void {
    const { host, port, responseTimeoutMs } = this.host.o;
    this.state = 'connecting';
    const socket = connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const reader = new PduReader();
    this.connectTimer = setTimeout(() => this.drop(socket, `no TCP connection within ${responseTimeoutMs} ms`), responseTimeoutMs);
    socket.on('connect', () => {
      if (this.socket !== socket || this.closing) return;
      clearTimeout(this.connectTimer);
      this.bind();
    });
    socket.on('data', (chunk: Buffer) => {
      let pdus: Buffer[];
      try {
        pdus = reader.push(chunk);
      } catch (err) {
        return this.drop(socket, `unreadable stream: ${(err as Error).message}`);
      }
      for (const pdu of pdus) {
        if (this.socket !== socket) return;
        try {
          this.dispatch(pdu);
        } catch (err) {
          this.log.error({ err, commandId: statusHex(pdu.readUInt32BE(4)) }, 'PDU handling failed');
          return this.drop(socket, `PDU handling failed: ${(err as Error).message}`);
        }
      }
    });
    socket.on('end', () => this.drop(socket, 'the SMSC closed the connection'));
    socket.on('close', () => this.drop(socket, 'connection closed'));
    socket.on('error', (err) => this.drop(socket, err.message));
  }

  private bind(): void {
    const o = this.host.o;
    this.state = 'binding';
    const params = {
      system_id: o.systemId,
      password: o.password,
      system_type: o.systemType ?? '',
      interface_version: INTERFACE_VERSION_34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: '',
    };
    this.request(BIND_COMMAND[this.kind], params, (r) => {
      if (this.closing) return; // close() called while binding: it ends the connection
      if (r instanceof SmppError) return this.drop(this.socket, 'no bind response');
      if (r.h.status !== ESME_STATUS.ESME_ROK) {
        const name = statusName(r.h.status) ?? statusHex(r.h.status);
        this.log.error({ status: statusHex(r.h.status), statusName: name, attempt: this.attempt }, 'bind refused');
        return this.drop(this.socket, `bind refused: ${name}`);
      }
      this.state = 'bound';
      this.attempt = 0;
      this.enquireTimer = setInterval(() => this.enquire(), o.enquireLinkMs);
      this.log.info({ command: BIND_COMMAND[this.kind] }, 'bound');
      this.host.up(this);
    });
  }

  /** Sends enquire_link unless one is outstanding; no answer within the response timeout drops the link. */
  enquire(): void {
    if (this.state !== 'bound' || this.enquiring) return;
    this.enquiring = true;
    this.request('enquire_link', {}, (r) => {
      this.enquiring = false;
      if (r instanceof SmppError) this.drop(this.socket, `no enquire_link_resp within ${this.host.o.responseTimeoutMs} ms`);
    });
  }

  /**
   * Sends a request; `done` is called exactly once: with the response (or a generic_nack of the same
   * sequence number), a TIMEOUT after responseTimeoutMs, or LINK_DOWN when the connection drops first.
   * Returns false (and calls nothing) when there is no connection to write to.
   */
  request(command: CommandName, params: smpp.PduParams, done: (o: Outcome) => void): boolean {
    const socket = this.socket;
    if (!socket || !socket.writable) return false;
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    const seq = this.seq;
    const pdu = new smpp.PDU(command, { ...params, sequence_number: seq }).toBuffer();
    const timeoutMs = this.host.o.responseTimeoutMs;
    const timer = setTimeout(() => {
      if (this.pending.get(seq) !== entry) return;
      this.pending.delete(seq);
      this.log.warn({ command, seq, timeoutMs, waitedMs: Math.round(this.host.o.now() - entry.sentAt) }, 'no response in time');
      entry.done(new SmppError('TIMEOUT', `no ${command}_resp within ${timeoutMs} ms`, undefined, true));
      if (command === 'submit_sm') this.enquire(); // is the link still alive?
    }, timeoutMs);
    const entry: Pending = { command, sentAt: this.host.o.now(), timer, done };
    this.pending.set(seq, entry);
    this.write(socket, COMMAND_ID[command], 0, pdu);
    return true;
  }

  respond(command: CommandName, seq: number, status: number): void {
    const socket = this.socket;
    if (!socket || !socket.writable) return;
    this.write(socket, COMMAND_ID[command], status, new smpp.PDU(command, { sequence_number: seq, command_status: status }).toBuffer());
  }

  /** Writes go out once per tick: cork on the first, uncork on the next tick (fewer syscalls and segments under load). */
  private write(socket: Socket, commandId: number, status: number, pdu: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(pdu);
    this.host.count(commandId, 'out', status);
  }

  private dispatch(pdu: Buffer): void {
    const h = headerOf(pdu);
    this.host.count(h.commandId, 'in', h.status);
    if (isResponseId(h.commandId)) return this.response(h, pdu);
    const handler = REQUEST_HANDLERS.get(h.commandId);
    if (handler) return handler(this, h, pdu);
    this.log.warn({ commandId: statusHex(h.commandId), seq: h.seq }, 'unsupported request: generic_nack');
    this.respond('generic_nack', h.seq, ESME_STATUS.ESME_RINVCMDID);
  }

  private response(h: Header, pdu: Buffer): void {
    const p = this.pending.get(h.seq);
    const expected = p && (COMMAND_ID[p.command] | 0x80000000) >>> 0;
    if (!p || (h.commandId !== expected && h.commandId !== COMMAND_ID.generic_nack)) {
      this.log.warn({ command: commandLabel(h.commandId), seq: h.seq, expected: p?.command }, 'response matches no request (late, after a timeout?)');
      return;
    }
    this.pending.delete(h.seq);
    clearTimeout(p.timer);
    p.done({ h, pdu });
  }

  deliverSm(h: Header, pdu: Buffer): void {
    const receiving = this.kind !== 'transmitter' && (this.state === 'bound' || this.state === 'unbinding');
    this.respond('deliver_sm_resp', h.seq, receiving ? this.host.deliver(pdu) : ESME_STATUS.ESME_RINVBNDSTS);
  }

  /** The SMSC unbinds (§4.2): answer, close, reconnect after the backoff. */
  peerUnbind(h: Header): void {
    this.respond('unbind_resp', h.seq, ESME_STATUS.ESME_ROK);
    this.drop(this.socket, 'the SMSC unbound', true);
  }

  /**
   * The connection is gone or must go: fail every pending request (LINK_DOWN), tell the client, and
   * reconnect after the backoff unless closing. Events of an older socket are ignored. `graceful` ends the
   * socket after what is already written (an unbind_resp).
   */
  private drop(socket: Socket | undefined, reason: string, graceful = false): void {
    if (!socket || socket !== this.socket) return;
    this.socket = undefined;
    const wasBound = this.state === 'bound' || this.state === 'unbinding';
    this.state = this.closing ? 'closed' : 'down';
    clearTimeout(this.connectTimer);
    clearInterval(this.enquireTimer);
    this.enquiring = false;
    if (graceful) {
      socket.end();
      setTimeout(() => socket.destroy(), this.host.o.responseTimeoutMs).unref();
    } else socket.destroy();
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      p.done(new SmppError('LINK_DOWN', `link dropped with ${p.command} unanswered: ${reason}`, undefined, true));
    }
    if (wasBound) {
      this.log.warn({ reason, failed: failed.length }, 'unbound');
      this.host.down(this, reason);
    } else this.log.warn({ reason, attempt: this.attempt }, 'not bound');
    if (!this.closing) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const { reconnectMinMs: min, reconnectMaxMs: max } = this.host.o;
    const d = Math.min(max, min * 2 ** Math.min(this.attempt, 30));
    const delay = d / 2 + Math.random() * (d / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.connect();
    }, delay);
  }

  /** Unbinds if bound (waiting up to the response timeout for unbind_resp), then closes the connection. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closing = true;
      this.closed = this.shutdown();
    }
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) {
      this.state = 'closed';
      return;
    }
    if (this.state === 'bound') {
      this.state = 'unbinding';
      clearInterval(this.enquireTimer);
      await new Promise<void>((resolve) => {
        if (!this.request('unbind', {}, () => resolve())) resolve();
      });
      this.log.info('unbound (closing)');
    }
    if (this.socket === socket) {
      const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      const timer = setTimeout(() => socket.destroy(), this.host.o.responseTimeoutMs);
      await gone;
      clearTimeout(timer);
    }
    this.state = 'closed';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The client.

interface Job {
  sm: SubmitSm;
  resolve: (r: SubmitResult) => void;
  reject: (e: SmppError) => void;
}

export class SmppClient extends EventEmitter<{ bound: []; unbound: [reason: string]; receipt: [Receipt]; mo: [DeliverSm] }> {
  private readonly o: SmppClientOptions & Resolved;
  private readonly log: Logger;
  private readonly sessions: Session[];
  /** The session submit_sm goes over (the transceiver, or the transmitter). */
  private readonly tx: Session;
  private inFlight = 0;
  private readonly waiting: Job[] = [];
  private drained: (() => void) | undefined;
  private started = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly pduCounters = new Map<string, { inc(): void }>();
  private readonly boundGauge: { set(v: number): void } | undefined;
  private readonly windowGauge: { set(v: number): void } | undefined;

  constructor(o: SmppClientOptions) {
    super();
    this.o = { ...DEFAULTS, now: () => performance.now(), ...stripUndefined(o) };
    this.log = o.log.child({ iface: 'smpp', peer: o.id });
    this.boundGauge = o.metrics?.smppBound.labels({ smsc: o.id });
    this.windowGauge = o.metrics?.smppWindow.labels({ smsc: o.id });
    const host: SessionHost = {
      o: this.o,
      log: this.log,
      count: (commandId, direction, status) => this.count(commandId, direction, status),
      up: (s) => this.sessionUp(s),
      down: (s, reason) => this.sessionDown(s, reason),
      deliver: (pdu) => this.deliver(pdu),
    };
    const mode: BindMode = this.o.bindMode ?? 'transceiver';
    this.sessions =
      mode === 'transceiver' ? [new Session(host, 'transceiver')] : [new Session(host, 'transmitter'), new Session(host, 'receiver')];
    this.tx = this.sessions[0]!;
    this.boundGauge?.set(0);
    this.windowGauge?.set(0);
  }

  /** Connects and binds, and keeps the binds up (reconnecting with backoff) until close(). */
  start(): void {
    if (this.closing) throw new Error('SmppClient: start() after close()');
    if (this.started) return;
    this.started = true;
    for (const s of this.sessions) s.start();
  }

  /** Whether submits can be sent: the transceiver (or transmitter) session is bound. */
  get bound(): boolean {
    return this.tx.bound;
  }

  /**
   * Sends a submit_sm when a window slot is free (waiting for one in a bounded queue). Rejects with an
   * SmppError: LINK_DOWN at once when not bound, CLOSED once close() was called, THROTTLED when the queue
   * is full; see SmppErrorCode for the rest. Never resent by the client.
   */
  submit(sm: SubmitSm): Promise<SubmitResult> {
    if (this.closing) return Promise.reject(new SmppError('CLOSED'));
    const invalid = invalidSubmit(sm);
    if (invalid) return Promise.reject(invalid);
    if (!this.tx.bound) return Promise.reject(new SmppError('LINK_DOWN', 'not bound to the SMSC'));
    return new Promise<SubmitResult>((resolve, reject) => {
      const job: Job = { sm, resolve, reject };
      if (this.inFlight < this.o.window && this.waiting.length === 0) this.send(job);
      else if (this.waiting.length >= this.o.queueLimit)
        reject(new SmppError('THROTTLED', `${this.waiting.length} submits already wait for a window slot`));
      else this.waiting.push(job);
    });
  }

  private send(job: Job): void {
    const sent = this.tx.request('submit_sm', submitParams(job.sm), (r) => {
      this.inFlight--;
      this.windowGauge?.set(this.inFlight);
      this.pump();
      if (r instanceof SmppError) return job.reject(r);
      const status = r.h.status;
      if (r.h.commandId === COMMAND_ID.generic_nack) return job.reject(new SmppError('REJECTED', `generic_nack ${statusHex(status)}`, status, true));
      if (status === ESME_STATUS.ESME_ROK) {
        const messageId = messageIdOf(r.pdu);
        if (messageId === '') this.log.warn({ seq: r.h.seq }, 'submit_sm_resp without message_id: receipts cannot be matched');
        return job.resolve({ messageId });
      }
      const name = statusName(status) ?? statusHex(status);
      job.reject(new SmppError(THROTTLE_STATUSES.has(status) ? 'THROTTLED' : 'REJECTED', `submit_sm_resp ${name}`, status, true));
    });
    if (!sent) return job.reject(new SmppError('LINK_DOWN', 'not connected to the SMSC'));
    this.inFlight++;
    this.windowGauge?.set(this.inFlight);
  }

  /** Fills free window slots from the queue; tells close() when the window is empty. */
  private pump(): void {
    while (this.inFlight < this.o.window && this.waiting.length > 0 && this.tx.bound) this.send(this.waiting.shift()!);
    if (this.inFlight === 0 && this.drained) this.drained();
  }

  private sessionUp(s: Session): void {
    this.updateBoundGauge();
    if (s === this.tx) this.notify('bound');
  }

  private sessionDown(s: Session, reason: string): void {
    this.updateBoundGauge();
    if (s !== this.tx) return;
    for (const job of this.waiting.splice(0)) job.reject(new SmppError('LINK_DOWN', `link dropped before the submit was sent: ${reason}`));
    this.notify('unbound', reason);
  }

  /** 'bound' / 'unbound' to the listeners; one that throws is logged, it does not take the link down with it. */
  private notify(event: 'bound' | 'unbound', reason = ''): void {
    try {
      if (event === 'bound') this.emit('bound');
      else this.emit('unbound', reason);
    } catch (err) {
      this.log.error({ err, event }, 'an event listener threw');
    }
  }

  private updateBoundGauge(): void {
    this.boundGauge?.set(this.sessions.every((s) => s.bound) ? 1 : 0);
  }

  /** A deliver_sm: 'receipt' or 'mo' listeners run synchronously, then the status to answer. */
  private deliver(pdu: Buffer): number {
    let d: DeliverSm;
    try {
      d = readDeliverSm(pdu);
    } catch (err) {
      this.log.warn({ err }, 'unreadable deliver_sm: refused ESME_RX_P_APPN');
      return ESME_STATUS.ESME_RX_P_APPN;
    }
    try {
      if (isDeliveryReceipt(d)) {
        const receipt = parseReceipt(d);
        if (!receipt) {
          this.log.warn({ text: d.shortMessage.toString('latin1') }, 'delivery receipt without message id: refused ESME_RX_P_APPN');
          return ESME_STATUS.ESME_RX_P_APPN;
        }
        this.emit('receipt', receipt);
      } else this.emit('mo', d);
    } catch (err) {
      this.log.error({ err }, "a 'receipt' or 'mo' listener threw: deliver_sm answered ESME_RX_T_APPN (the SMSC retries)");
      return ESME_STATUS.ESME_RX_T_APPN;
    }
    return ESME_STATUS.ESME_ROK;
  }

  private count(commandId: number, direction: 'in' | 'out', status: number): void {
    const metrics = this.o.metrics;
    if (!metrics) return;
    const key = `${commandId}/${direction}/${status}`;
    let c = this.pduCounters.get(key);
    if (!c) {
      c = metrics.smppPdus.labels({ smsc: this.o.id, command: commandLabel(commandId), direction, status: statusHex(status) });
      this.pduCounters.set(key, c);
    }
    c.inc();
  }

  /**
   * Stops taking submits (queued ones reject CLOSED: never sent), waits for the window to drain (each
   * outstanding submit is answered or times out), unbinds, closes the connections. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closing = true;
      this.closed = this.shutdown();
    }
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    for (const job of this.waiting.splice(0)) job.reject(new SmppError('CLOSED', 'the client closed before the submit was sent'));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    await Promise.all(this.sessions.map((s) => s.close()));
    this.boundGauge?.set(0);
    this.windowGauge?.set(0);
  }
}

/** submit_sm_resp message_id (C-Octet String), decoded by node-smpp; '' when absent or undecodable. */
function messageIdOf(pdu: Buffer): string {
  try {
    const id = new smpp.PDU(pdu).message_id;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
