import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import smpp from 'smpp';
import { COMMAND_ID, commandLabel, headerOf, isResponseId, PduReader, type CommandName, type Header } from '../../protocols/smpp/index.js';
import { ESME_STATUS, SmppError, statusHex, statusName } from './errors.js';
import type { Resolved, SmppClientOptions } from './options.js';

/** interface_version sent in binds (§5.2.4): 3.4. */
const INTERFACE_VERSION_34 = 0x34;

/* One SMPP session over one TCP connection, kept up by reconnecting: its own sequence numbers, the requests
   waiting for their response (each with a timer; all failed when the connection drops), binds, enquire_link
   and the requests an SMSC sends (SMPP 3.4 §4). The SmppClient (client.ts) is its host. */

export type SessionKind = 'transceiver' | 'transmitter' | 'receiver';
export type SessionState = 'idle' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'down' | 'closed';

export type Outcome = { h: Header; pdu: Buffer } | SmppError;

interface Pending {
  command: CommandName;
  sentAt: number;
  timer: NodeJS.Timeout;
  done: (o: Outcome) => void;
}

/** What a Session needs from its client. */
export interface SessionHost {
  readonly o: SmppClientOptions & Resolved;
  readonly log: Logger;
  count(commandId: number, direction: 'in' | 'out', status: number): void;
  up(s: Session): void;
  down(s: Session, reason: string): void;
  /** A deliver_sm: the command_status to answer, or a promise of it (never rejected). */
  deliver(pdu: Buffer): number | Promise<number>;
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

export class Session {
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
    if (!socket?.writable) return false;
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
    if (!socket?.writable) return;
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
      this.log.warn(
        { command: commandLabel(h.commandId), seq: h.seq, expected: p?.command },
        'response matches no request (late, after a timeout?)',
      );
      return;
    }
    this.pending.delete(h.seq);
    clearTimeout(p.timer);
    p.done({ h, pdu });
  }

  deliverSm(h: Header, pdu: Buffer): void {
    const receiving = this.kind !== 'transmitter' && (this.state === 'bound' || this.state === 'unbinding');
    const status = receiving ? this.host.deliver(pdu) : ESME_STATUS.ESME_RINVBNDSTS;
    if (typeof status === 'number') return this.respond('deliver_sm_resp', h.seq, status);
    // Answered once taken, on the connection it came by (after a reconnect the SMSC delivers it again).
    const socket = this.socket;
    void status.then((s) => {
      if (this.socket === socket) this.respond('deliver_sm_resp', h.seq, s);
    });
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
