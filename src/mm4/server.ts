import type { AddressInfo } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerError,
  type SMTPServerSession,
} from 'smtp-server';
import { Mm4Error, type Mm4ForwardReq, type Mm4Message, parseMm4Address, parseMm4 } from '../../protocols/mm4/index.js';
import { Intake, type IntakeOptions } from '../core/intake.js';
import type { Queue, Throttle } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import type { Router } from '../core/router.js';
import type { Mm4Config, Mm4PeerConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { forwardSubmission } from './inbound-forward.js';
import type { Mm4InboundReports } from './inbound-reports.js';
import { PeerDirectory } from './peers.js';
import { SMTP_REPLY } from '../transport/smtp-status.js';

export interface Mm4ServerOptions {
  config: Mm4Config;
  queue: Queue;
  throttle: Throttle;
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** RES and reports about our forwards, and the RES we owe for forwards (src/mm4/inbound-reports.ts). */
  reports?: Mm4InboundReports;
  now?: () => number;
}

/**
 * Relaying is refused (RFC 5321 §3.6.2: a server that is not the recipient's may refuse to relay) with
 * 550 and X.7.1 Delivery not authorized (RFC 3463 §3.8). Not a refusal of the catalogue (yet): no other edge
 * has recipients in another domain to refuse.
 */
const RELAY_DENIED = {
  reply: SMTP_REPLY.MAILBOX_UNAVAILABLE,
  enhanced: '5.7.1',
  text: 'relay denied: not a domain of this MMS Relay/Server',
} as const;

/** What the listener knows of one SMTP session (by session id). */
interface SessionState {
  /** Undefined until the source address or AUTH names the peer. */
  peer: Mm4PeerConfig | undefined;
}

/**
 * The MM4 listener (3GPP TS 23.140 §8.4: MMS between MMS Relay/Servers over SMTP), on smtp-server. The
 * first slice of issue 22's inbound side:
 * - EHLO with SIZE (RFC 1870, the limit announced, checked at MAIL FROM and while DATA streams) and
 *   8BITMIME (RFC 6152); AUTH PLAIN/LOGIN (RFC 4954) offered only when a peer uses it;
 * - default deny: a session is a configured peer's, by source address (CIDR) and/or AUTH identity, or it is
 *   refused; each peer has a connection cap on this instance;
 * - RCPT TO only in our own MMS domains (no relay, ever);
 * - MM4_forward.REQ goes through the core intake (the peer's throttle; an unroutable recipient refuses the
 *   whole message) and is answered 250 only once it is stored; refusals with the catalogue's SMTP reply and
 *   enhanced status code.
 * - RES and reports about our forwards, and the RES a stored forward asks for: src/mm4/inbound-reports.ts.
 * Not yet (next slices): STARTTLS/implicit TLS, recognising a repeated X-Mms-Message-ID, streaming
 * DATA into the content store (it is held in memory, bounded by mm4.maxMessageBytes).
 */
export class Mm4Server {
  private readonly server: SMTPServer;
  private readonly peers: PeerDirectory;
  private readonly intake: Intake;
  private readonly sessions = new Map<string, SessionState>();
  private readonly domains: ReadonlySet<string>;

  constructor(private readonly o: Mm4ServerOptions) {
    const c = o.config;
    this.peers = new PeerDirectory(c.peers);
    this.domains = new Set(c.domains.map((d) => d.toLowerCase()));
    const intake: IntakeOptions = { queue: o.queue, throttle: o.throttle, router: o.router, log: o.log };
    if (o.now) intake.now = o.now;
    this.intake = new Intake(intake);
    this.server = new SMTPServer({
      name: c.domains[0] ?? 'mmsc',
      banner: 'MM4 (3GPP TS 23.140) MMS Relay/Server',
      size: c.maxMessageBytes,
      // Our refusals carry their enhanced code at the start of their text (RFC 3463), from the catalogue; the
      // library's own code table would prefix another (550 -> 5.1.1) to every one of them.
      hideENHANCEDSTATUSCODES: true,
      hideDSN: true,
      // No TLS in this slice: STARTTLS is not offered, and AUTH is taken on the plain connection (GRX/IPX
      // links are private; TLS comes with the next slice).
      disabledCommands: this.peers.anyAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      maxClients: c.maxConnections,
      socketTimeout: c.idleTimeoutMs,
      closeTimeout: 1000,
      onConnect: (session, cb) => cb(this.connect(session)),
      onAuth: (auth, session, cb) => cb(null, this.auth(auth, session)),
      onMailFrom: (address, session, cb) => cb(this.mailFrom(address, session)),
      onRcptTo: (address, session, cb) => cb(this.rcptTo(address, session)),
      onData: (stream, session, cb) => {
        this.data(stream, session).then(
          (r) => cb(r instanceof Error ? r : null, r instanceof Error ? undefined : r),
          (err: unknown) => {
            o.log.error({ err, session: session.id }, 'mm4 DATA failed');
            cb(this.answer('DATA', new Refusal('store-unavailable')));
          },
        );
      },
      onClose: (session) => this.closed(session),
    });
    this.server.on('error', (err) => o.log.warn({ err }, 'mm4 listener error'));
  }

  /** Listens; resolves to `smtp://host:port`. */
  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.server.address() as AddressInfo;
    return `smtp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Stops listening; sessions still open are closed after smtp-server's closeTimeout (1 s). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A new session: a peer's by its address, a log-in to come, or refused (default deny). */
  private connect(session: SMTPServerSession): SMTPServerError | undefined {
    const arrival = this.peers.arrival(session.remoteAddress);
    const log = this.o.log.child({ session: session.id, from: session.remoteAddress });
    if (arrival.kind === 'unknown') {
      log.info('mm4 session refused: no peer may connect from this address');
      this.o.metrics.mm4Sessions.inc({ peer: 'unknown', result: 'refused' });
      // At the greeting only 554 refuses (RFC 5321 §3.1, §4.3.2); the enhanced code is the catalogue's.
      return smtpError(new Refusal('improper-identification', 'no MM4 peer is allowed from this address'), 554);
    }
    if (arrival.kind === 'peer') {
      if (!this.peers.open(arrival.peer)) return this.overCap(arrival.peer, SMTP_REPLY.SERVICE_NOT_AVAILABLE);
      this.sessions.set(session.id, { peer: arrival.peer });
      this.o.metrics.mm4Sessions.inc({ peer: arrival.peer.id, result: 'accepted' });
      return undefined;
    }
    this.sessions.set(session.id, { peer: undefined });
    return undefined;
  }

  /** Over the peer's session cap: 421 closes at the greeting (RFC 5321 §3.8), 454 answers an AUTH (RFC 4954 §6). */
  private overCap(peer: Mm4PeerConfig, reply: number): SMTPServerError {
    this.o.log.info({ peer: peer.id, maxConnections: peer.maxConnections }, 'mm4 session refused: over the peer connection cap');
    this.o.metrics.mm4Sessions.inc({ peer: peer.id, result: 'over-cap' });
    return smtpError(new Refusal('throttled', `peer ${peer.id} holds ${peer.maxConnections} sessions already`), reply);
  }

  private auth(auth: SMTPServerAuthentication, session: SMTPServerSession): SMTPServerAuthenticationResponse {
    const state = this.sessions.get(session.id);
    const peer = this.peers.login(session.remoteAddress, auth.username ?? '', auth.password ?? '');
    if (!peer || !state || state.peer) {
      this.o.log.info({ session: session.id, from: session.remoteAddress }, 'mm4 AUTH failed');
      this.o.metrics.mm4Commands.inc({ command: 'AUTH', reply: '535' });
      return { responseCode: SMTP_REPLY.AUTH_CREDENTIALS_INVALID, message: '5.7.8 authentication credentials invalid' };
    }
    if (!this.peers.open(peer)) {
      this.o.metrics.mm4Commands.inc({ command: 'AUTH', reply: '454' });
      const e = this.overCap(peer, SMTP_REPLY.TEMPORARY_AUTH_FAILURE);
      return { responseCode: SMTP_REPLY.TEMPORARY_AUTH_FAILURE, message: e.message };
    }
    state.peer = peer;
    this.o.metrics.mm4Sessions.inc({ peer: peer.id, result: 'accepted' });
    this.o.metrics.mm4Commands.inc({ command: 'AUTH', reply: '235' });
    return { user: peer.id };
  }

  private mailFrom(address: SMTPServerAddress, session: SMTPServerSession): SMTPServerError | undefined {
    const peer = this.sessions.get(session.id)?.peer;
    if (!peer) {
      this.o.log.info({ session: session.id, from: session.remoteAddress }, 'mm4 MAIL refused: the peer has not logged in');
      return this.answer('MAIL', new Refusal('improper-identification', 'log in (AUTH) first: this address is for peers that do'));
    }
    // RFC 1870 §6.1: smtp-server refuses a SIZE over the announced limit itself (552) before this hook;
    // this is the same check with the catalogue's text, should the library's ever be switched off.
    const size = address.args ? address.args.SIZE : undefined;
    if (typeof size === 'string' && Number(size) > this.o.config.maxMessageBytes) {
      return this.answer('MAIL', new Refusal('message-too-large', `${size} bytes is over the limit of ${this.o.config.maxMessageBytes}`));
    }
    this.o.metrics.mm4Commands.inc({ command: 'MAIL', reply: '250' });
    return undefined;
  }

  private rcptTo(address: SMTPServerAddress, session: SMTPServerSession): SMTPServerError | undefined {
    if (session.envelope.rcptTo.length >= this.o.config.maxRecipients) {
      return this.answer(
        'RCPT',
        new Refusal('too-many-recipients', `at most ${this.o.config.maxRecipients} recipients in one transaction`),
      );
    }
    let domain: string | undefined;
    try {
      const a = parseMm4Address(address.address, 'RCPT TO');
      // A mailbox (our X-Mms-Originator-System, where peers send RES and reports: §8.4.1.2) is in its domain too.
      domain = (
        a.domain ?? (a.address.kind === 'email' ? a.address.address.slice(a.address.address.lastIndexOf('@') + 1) : undefined)
      )?.toLowerCase();
    } catch {
      return this.answer('RCPT', new Refusal('address-error', 'not an MMS address'));
    }
    if (domain === undefined || !this.domains.has(domain)) {
      this.o.log.info({ session: session.id, peer: this.sessions.get(session.id)?.peer?.id, domain }, 'mm4 RCPT refused: relay denied');
      this.o.metrics.mm4Commands.inc({ command: 'RCPT', reply: String(RELAY_DENIED.reply) });
      return withCode(new Error(`${RELAY_DENIED.enhanced} ${RELAY_DENIED.text}`), RELAY_DENIED.reply);
    }
    this.o.metrics.mm4Commands.inc({ command: 'RCPT', reply: '250' });
    return undefined;
  }

  /** Reads DATA (bounded), parses it and hands it on; resolves to the 250 text or the refusal to answer. */
  private async data(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string | SMTPServerError> {
    const peer = this.sessions.get(session.id)?.peer;
    const max = this.o.config.maxMessageBytes;
    const chunks: Buffer[] = [];
    let held = 0;
    const read = new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => {
        // Past the limit nothing more is held; the rest is read and dropped, and DATA answered 552
        // (RFC 1870 §6.3) once the peer ends it.
        if (held + c.length <= max) chunks.push(c);
        held += c.length;
      });
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const timer = setTimeout(() => this.cut(session, 'DATA not received within mm4.dataTimeoutMs'), this.o.config.dataTimeoutMs);
    try {
      await read;
    } finally {
      clearTimeout(timer);
    }
    if (!peer) return this.answer('DATA', new Refusal('improper-identification'));
    const log = this.o.log.child({ peer: peer.id, session: session.id });
    if (stream.sizeExceeded || held > max) {
      log.info({ bytes: held, limit: max }, 'mm4 message refused: over the size limit');
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type: 'unparsed', result: 'message-too-large' });
      return this.answer('DATA', new Refusal('message-too-large', `message over the limit of ${max} bytes`));
    }
    const envelope = {
      ...(session.envelope.mailFrom ? { mailFrom: session.envelope.mailFrom.address } : {}),
      rcptTo: session.envelope.rcptTo.map((r) => r.address),
    };
    let msg: Mm4Message;
    try {
      msg = await parseMm4(Buffer.concat(chunks), { envelope, limits: { maxBytes: max } });
    } catch (err) {
      if (!(err instanceof Mm4Error)) throw err;
      log.info({ code: err.code, detail: err.detail }, 'mm4 message refused: malformed');
      const refusal =
        err.code === 'TOO_LARGE' ? new Refusal('message-too-large') : new Refusal('format-corrupt', `malformed MM4 message: ${err.code}`);
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type: 'unparsed', result: refusal.code });
      return this.answer('DATA', refusal);
    }
    if (msg.type !== 'MM4_forward.REQ') {
      // RES and reports about our forwards (src/mm4/inbound-reports.ts); without that handler, taken (a 5xx
      // would make the peer bounce them to its postmaster) and logged.
      const text = this.o.reports ? await this.o.reports.handle(msg, peer, log) : `2.6.0 ${msg.type} received`;
      if (!this.o.reports) log.info({ type: msg.type, transactionId: msg.transactionId }, 'mm4 message accepted, not processed');
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type: msg.type, result: 'accepted' });
      this.o.metrics.mm4Commands.inc({ command: 'DATA', reply: '250' });
      return text;
    }
    return this.forward(msg, peer, envelope.rcptTo, log);
  }

  private async forward(req: Mm4ForwardReq, peer: Mm4PeerConfig, rcptTo: string[], log: Logger): Promise<string | SMTPServerError> {
    const c = this.o.config;
    const r = await this.intake.submit({
      from: { kind: 'carrier', id: peer.id },
      throttle: { limits: { rate: peer.rate, burst: peer.burst, maxInFlight: peer.maxInFlight }, slotMs: c.dataTimeoutMs },
      unroutable: 'refuse',
      build: (id, now) =>
        forwardSubmission(req, { peer: peer.id, rcptTo, lifetime: { defaultMs: c.defaultExpiryMs, maxMs: c.maxExpiryMs } }, id, now),
    });
    const type = req.type;
    if (!r.ok) {
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: r.refusal.code });
      return this.answer('DATA', r.refusal);
    }
    log.info({ messageId: r.messageId, mm4MessageId: req.messageId, recipients: r.recipients }, 'mm4 forward accepted');
    await this.o.reports?.forwardStored(req, peer, r.messageId, log);
    this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: 'accepted' });
    this.o.metrics.mm4Commands.inc({ command: 'DATA', reply: '250' });
    return `2.6.0 queued as ${r.messageId}`;
  }

  /** Closes a session that stalls (mid-DATA): the peer sees the connection drop and retries later. */
  private cut(session: SMTPServerSession, why: string): void {
    this.o.log.info({ session: session.id, peer: this.sessions.get(session.id)?.peer?.id }, `mm4 session cut: ${why}`);
    for (const conn of this.server.connections) if (conn.id === session.id) conn.close();
  }

  private closed(session: SMTPServerSession): void {
    const peer = this.sessions.get(session.id)?.peer;
    if (peer) this.peers.close(peer);
    this.sessions.delete(session.id);
  }

  /** A refusal as the SMTP reply the catalogue gives it, counted. */
  private answer(command: string, refusal: Refusal): SMTPServerError {
    const e = smtpError(refusal);
    this.o.metrics.mm4Commands.inc({ command, reply: String(e.responseCode) });
    return e;
  }
}

/** The catalogue entry's reply (or `reply`, where the protocol allows only some codes) and enhanced code first in the text. */
function smtpError(refusal: Refusal, reply?: number): SMTPServerError {
  const { smtp } = refusal.entry;
  return withCode(new Error(`${smtp.enhanced} ${refusal.message}`), reply ?? smtp.reply);
}

function withCode(e: Error, code: number): SMTPServerError {
  (e as SMTPServerError).responseCode = code;
  return e;
}
