/**
 * SMPP 3.4 ESME client: binds to one SMSC (one transceiver session, or a transmitter and a receiver),
 * keeps the binds up (enquire_link, reconnect with backoff), sends submit_sm within a window, and turns
 * deliver_sm into 'receipt' and 'mo' events.
 *
 * Layers, bottom up: framing and the command table (protocols/smpp), the codecs (node-smpp's PDU encodes
 * every PDU we send and decodes responses; deliver_sm is read by protocols/smpp, because node-smpp decodes
 * short_message to text by data_coding and the raw octets are not recoverable from that), one Session per
 * TCP connection (session.ts: sequence numbers, pending requests with a timer each, all failed when the
 * connection drops), and the SmppClient here (window, waiters, events, metrics).
 *
 * The client never resends a submit_sm: a submit is sent once and settles once (message id, or an
 * SmppError); retrying is the caller's job.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import smpp from 'smpp';
import {
  COMMAND_ID,
  commandLabel,
  isDeliveryReceipt,
  parseReceipt,
  readDeliverSm,
  type DeliverSm,
  type Receipt,
} from '../../protocols/smpp/index.js';
import { DEFAULTS, type Resolved, type SmppClientOptions } from './options.js';
import { Session, type SessionHost } from './session.js';
import { StoreUnavailableError } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import { ESME_STATUS, SmppError, THROTTLE_STATUSES, statusHex, statusName } from './errors.js';

export { SmppError, type SmppErrorCode } from './errors.js';
export type { SmppClientOptions } from './options.js';
export { COMMAND_ID, type CommandName } from '../../protocols/smpp/index.js';
// The codecs the client's events carry, for its users.
export {
  isDeliveryReceipt,
  parseReceipt,
  PduReader,
  readDeliverSm,
  receiptFields,
  type DeliverSm,
  type Receipt,
} from '../../protocols/smpp/index.js';

// ---------------------------------------------------------------------------------------------------------
// The API.

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
  /** The user_message_reference TLV (0x0204, §5.3.2.17): the ESME's own reference, 0-65535. */
  userMessageReference?: number;
}

export interface SubmitResult {
  messageId: string;
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------------------
// Submit parameters (framing, deliver_sm and receipts are pure codecs: protocols/smpp).

/** Why a submit is refused before it is sent (what the SMSC would answer), or undefined. */
function invalidSubmit(sm: SubmitSm): SmppError | undefined {
  const refuse = (status: number, why: string) => new SmppError('REJECTED', `${why} (not sent)`, status, false);
  if (sm.shortMessage && sm.shortMessage.length > 254) return refuse(ESME_STATUS.ESME_RINVMSGLEN, 'short_message over 254 octets');
  if (sm.messagePayload && sm.shortMessage && sm.shortMessage.length > 0)
    return refuse(ESME_STATUS.ESME_RINVMSGLEN, 'both short_message and message_payload');
  if (sm.messagePayload && sm.messagePayload.length > 0xffff)
    return refuse(ESME_STATUS.ESME_RINVPARLEN, 'message_payload over 65535 octets');
  if (sm.sourceAddr.length > 20) return refuse(ESME_STATUS.ESME_RINVSRCADR, 'source_addr over 20 characters');
  if (sm.destinationAddr.length > 20) return refuse(ESME_STATUS.ESME_RINVDSTADR, 'destination_addr over 20 characters');
  // node-smpp would pad a shorter string into a relative time: refuse instead of guessing.
  if (sm.validityPeriod && sm.validityPeriod.length !== 16) return refuse(ESME_STATUS.ESME_RINVEXPIRY, 'validity_period not 16 characters');
  const ref = sm.userMessageReference;
  if (ref !== undefined && !(Number.isInteger(ref) && ref >= 0 && ref <= 0xffff))
    return refuse(ESME_STATUS.ESME_RINVOPTPARAMVAL, 'user_message_reference not 0-65535');
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
  if (sm.userMessageReference !== undefined) p.user_message_reference = sm.userMessageReference;
  return p;
}

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
    const mode: NonNullable<SmppClientOptions['bindMode']> = this.o.bindMode ?? 'transceiver';
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
      if (r.h.commandId === COMMAND_ID.generic_nack)
        return job.reject(new SmppError('REJECTED', `generic_nack ${statusHex(status)}`, status, true));
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

  /** A deliver_sm: 'receipt' or 'mo' listeners run synchronously, then the status to answer; an MO waits for onMo. */
  private deliver(pdu: Buffer): number | Promise<number> {
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
      } else {
        this.emit('mo', d);
        if (this.o.onMo) {
          return this.o.onMo(d).then(
            () => ESME_STATUS.ESME_ROK,
            (err: unknown) => {
              // A refusal is answered its catalogue entry's status; anything else as a temporary error.
              const status = err instanceof Refusal && err.entry.esme !== undefined ? err.entry.esme : ESME_STATUS.ESME_RX_T_APPN;
              this.log.warn(
                { err, status: statusHex(status) },
                'MO not taken: deliver_sm refused (a temporary error: the SMSC delivers it again)',
              );
              return status;
            },
          );
        }
      }
    } catch (err) {
      if (err instanceof StoreUnavailableError)
        this.log.warn({ reason: err.message }, 'deliver_sm not taken now: answered ESME_RX_T_APPN (the SMSC retries)');
      else this.log.error({ err }, "a 'receipt' or 'mo' listener threw: deliver_sm answered ESME_RX_T_APPN (the SMSC retries)");
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
