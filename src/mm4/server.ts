import type { IntakeContentCheck } from '../core/content-check.js';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerError,
  type SMTPServerSession,
} from 'smtp-server';
import { type Mm4Address, Mm4Error, type Mm4Message, parseMm4Address, parseMm4 } from '../../protocols/mm4/index.js';
import { Intake, type IntakeOptions } from '../core/intake.js';
import type { IdempotencyStore, Queue, Throttle } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import type { Router } from '../core/router.js';
import type { Mm4Config, Mm4PeerConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { DataBudget, type DataHold } from './data-budget.js';
import { DataSource, DataStopped } from './data-reader.js';
import { ForwardDuplicates } from './duplicates.js';
import { ForwardReceiver } from './forward-receiver.js';
import type { ForwardStage } from './forward-stage.js';
import type { Mm4InboundReports } from './inbound-reports.js';
import { PeerDirectory } from './peers.js';
import { closeSmtp, listenSmtp, smtpReplyError } from '../transport/smtp-listener.js';
import { SMTP_REPLY } from '../transport/smtp-status.js';
import { loadListenerTls, type Mm4ListenerTls } from './tls.js';

export interface Mm4ServerOptions {
  config: Mm4Config;
  queue: Queue;
  throttle: Throttle;
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** Records of forwards received (shared by every instance): a repeated X-Mms-Message-ID is not stored twice. */
  idempotency?: IdempotencyStore;
  /** RES and reports about our forwards, and the RES we owe for forwards (src/mm4/inbound-reports.ts). */
  reports?: Mm4InboundReports;
  now?: () => number;
  /** Every part's bytes checked against its declared type and content.allowedTypes (issue 25); none: not checked. */
  contentCheck?: IntakeContentCheck | undefined;
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
  /** How the peer was named: by AUTH, it is forgotten at STARTTLS (RFC 3207 §4.2). */
  by?: 'address' | 'auth';
}

/**
 * The MM4 listener (3GPP TS 23.140 §8.4: MMS between MMS Relay/Servers over SMTP), on smtp-server. Issue
 * 22's inbound side:
 * - EHLO with SIZE (RFC 1870, the limit announced; over it 552 5.3.4 at MAIL FROM SIZE= and at the end of
 *   DATA) and 8BITMIME (RFC 6152); AUTH PLAIN/LOGIN (RFC 4954) offered only when a peer uses it;
 * - TLS (mm4.tlsMode): STARTTLS (RFC 3207) or implicit TLS (RFC 8314), certificate and key read at start;
 *   with STARTTLS, AUTH only once TLS is up (unless mm4.tlsAllowInsecureAuth) and a log-in from before it
 *   forgotten (RFC 3207 §4.2);
 * - default deny: a session is a configured peer's, by source address (CIDR) and/or AUTH identity, or it is
 *   refused; each peer has a connection cap on this instance;
 * - RCPT TO only in our own MMS domains (no relay, ever), at most mm4.maxRecipients (then 452 4.5.3);
 * - DATA within mm4.dataTimeoutMs, else the session is cut; bounded: a transaction counts at most
 *   mm4.maxMessageBytes (more is dropped as it arrives) and the listener mm4.maxInFlightDataBytes in all
 *   (over it 421 4.3.2, the peer retries);
 * - MM4_forward.REQ goes through the core intake (the peer's throttle; an unroutable recipient refuses the
 *   whole message) and is answered 250 only once it is stored; a repeat from the same peer (same
 *   X-Mms-Message-ID and recipients, any instance) is answered 250 with the first message's id and not
 *   stored again (ForwardDuplicates); refusals with the catalogue's SMTP reply and enhanced status code.
 * - RES and reports about our forwards, and the RES a stored forward asks for: src/mm4/inbound-reports.ts.
 * - DATA is parsed as it arrives (DataSource): the header block (within 64 KiB), then a forward's multipart
 *   body through protocols/mime's streaming parser, each decoded leaf written into a content stage
 *   (Queue.stage, ForwardStage) that the intake enqueues as the message's content; the listener holds only
 *   slices. The stage is discarded on any refusal, error, timeout or cut session. A single-part forward's body
 *   (a text) and RES/reports are small and read whole.
 */
export class Mm4Server {
  private readonly server: SMTPServer;
  private readonly peers: PeerDirectory;
  private readonly forwards: ForwardReceiver;
  private readonly sessions = new Map<string, SessionState>();
  private readonly domains: ReadonlySet<string>;
  private readonly tls: Mm4ListenerTls;
  /** The commands no session may use (STARTTLS without TLS, AUTH when no peer uses it). */
  private readonly disabled: readonly string[];
  /** AUTH is held back until STARTTLS (mm4.tlsMode starttls, unless mm4.tlsAllowInsecureAuth). */
  private readonly authAfterTls: boolean;
  private readonly budget: DataBudget;

  constructor(private readonly o: Mm4ServerOptions) {
    const c = o.config;
    this.peers = new PeerDirectory(c.peers);
    // Read now: a certificate or key that cannot be read fails the start, naming its key (ConfigError).
    this.tls = loadListenerTls(c);
    this.disabled = [...(this.tls.mode === 'starttls' ? [] : ['STARTTLS']), ...(this.peers.anyAuth ? [] : ['AUTH'])];
    this.authAfterTls = this.tls.mode === 'starttls' && this.peers.anyAuth && !c.tlsAllowInsecureAuth;
    this.budget = new DataBudget(c.maxInFlightDataBytes, (bytes) => o.metrics.mm4DataBytes.set(bytes));
    this.domains = new Set(c.domains.map((d) => d.toLowerCase()));
    const intake: IntakeOptions = { queue: o.queue, throttle: o.throttle, router: o.router, log: o.log };
    if (o.now) intake.now = o.now;
    if (o.contentCheck) intake.content = o.contentCheck;
    this.forwards = new ForwardReceiver({
      config: c,
      queue: o.queue,
      intake: new Intake(intake),
      metrics: o.metrics,
      // Undefined: repeats are not recognised (no store given, or mm4.duplicateWindowMs 0).
      duplicates:
        o.idempotency && c.duplicateWindowMs > 0
          ? new ForwardDuplicates({ store: o.idempotency, windowMs: c.duplicateWindowMs })
          : undefined,
      reports: o.reports,
      now: o.now,
      answer: (command, refusal) => this.answer(command, refusal),
    });
    this.server = new SMTPServer({
      name: c.domains[0] ?? 'mmsc',
      banner: 'MM4 (3GPP TS 23.140) MMS Relay/Server',
      size: c.maxMessageBytes,
      // Our refusals carry their enhanced code at the start of their text (RFC 3463), from the catalogue; the
      // library's own code table would prefix another (550 -> 5.1.1) to every one of them.
      hideENHANCEDSTATUSCODES: true,
      hideDSN: true,
      // STARTTLS (RFC 3207) only with mm4.tlsMode starttls; implicit TLS (RFC 8314 §3.3) from the first byte.
      ...(this.tls.mode === 'none' ? {} : { key: this.tls.key, cert: this.tls.cert }),
      secure: this.tls.mode === 'implicit',
      disabledCommands: [...this.disabled],
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      // AUTH before TLS is kept from each session (not offered in EHLO) by connect() itself, when it must be;
      // with no TLS configured at all, AUTH is taken on the plain connection (a private GRX/IPX link).
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      maxClients: c.maxConnections,
      socketTimeout: c.idleTimeoutMs,
      closeTimeout: 1000,
      onConnect: (session, cb) => cb(this.connect(session)),
      onSecure: (socket, session, cb) => {
        this.secured(socket, session);
        cb();
      },
      onAuth: (auth, session, cb) => {
        this.auth(auth, session).then(
          (r) => cb(null, r),
          (err: unknown) => cb(err as Error),
        );
      },
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
  listen(host: string, port: number): Promise<string> {
    return listenSmtp(this.server, host, port);
  }

  /** Stops listening; sessions still open are closed after smtp-server's closeTimeout (1 s). */
  close(): Promise<void> {
    return closeSmtp(this.server);
  }

  /** A new session: a peer's by its address, a log-in to come, or refused (default deny). */
  private connect(session: SMTPServerSession): SMTPServerError | undefined {
    this.ownSizeCheck(session);
    const arrival = this.peers.arrival(session.remoteAddress);
    const log = this.o.log.child({ session: session.id, from: session.remoteAddress });
    if (arrival.kind === 'unknown') {
      log.info('mm4 session refused: no peer may connect from this address');
      this.o.metrics.mm4Sessions.inc({ peer: 'unknown', result: 'refused' });
      // At the greeting only 554 refuses (RFC 5321 §3.1, §4.3.2); the enhanced code is the catalogue's.
      return smtpError(new Refusal('improper-identification', 'no MM4 peer is allowed from this address'), 554);
    }
    // RFC 4954 §4 and RFC 3207 §4: the password goes only over TLS; AUTH is offered once STARTTLS is done.
    if (this.authAfterTls && !session.secure) session.disabledCommands = [...this.disabled, 'AUTH'];
    if (arrival.kind === 'peer') {
      if (!this.peers.open(arrival.peer)) return this.overCap(arrival.peer, SMTP_REPLY.SERVICE_NOT_AVAILABLE);
      this.sessions.set(session.id, { peer: arrival.peer, by: 'address' });
      this.o.metrics.mm4Sessions.inc({ peer: arrival.peer.id, result: 'accepted' });
      return undefined;
    }
    this.sessions.set(session.id, { peer: undefined });
    return undefined;
  }

  /**
   * The TLS handshake is done (after STARTTLS, or at once with implicit TLS): AUTH may now be offered, and
   * what a log-in before STARTTLS established is forgotten (RFC 3207 §4.2: the server discards knowledge
   * obtained from the client before it).
   */
  private secured(socket: Socket | TLSSocket, session: SMTPServerSession): void {
    session.disabledCommands = [...this.disabled];
    const state = this.sessions.get(session.id);
    if (state?.by === 'auth' && state.peer) {
      this.peers.close(state.peer);
      state.peer = undefined;
      delete state.by;
    }
    const protocol = ('getProtocol' in socket ? socket.getProtocol() : null) ?? 'unknown';
    this.o.metrics.mm4Tls.inc({ peer: state?.peer?.id ?? 'unknown', mode: this.tls.mode, protocol });
    this.o.log.debug({ session: session.id, peer: state?.peer?.id, protocol }, 'mm4 session secured with TLS');
  }

  /**
   * smtp-server checks MAIL FROM's SIZE against the limit it announces itself, before onMailFrom, and answers
   * 552 without an enhanced code (its table is off: ours come from the catalogue). That one check is let
   * through to mailFrom, which answers with the catalogue's 552 5.3.4 and counts it; the library's other
   * parameter checks (BODY, SMTPUTF8, ...) stay. A library version without this method fails the MAIL FROM
   * SIZE test (test/mm4/hostile.test.ts).
   */
  private ownSizeCheck(session: SMTPServerSession): void {
    for (const conn of this.server.connections) {
      if (conn.id !== session.id) continue;
      const check = conn._validateMailParams.bind(conn);
      conn._validateMailParams = (parsed) => {
        const e = check(parsed);
        return e?.enhancedCode === 'MESSAGE_TOO_BIG' ? null : e;
      };
    }
  }

  /** Over the peer's session cap: 421 closes at the greeting (RFC 5321 §3.8), 454 answers an AUTH (RFC 4954 §6). */
  private overCap(peer: Mm4PeerConfig, reply: number): SMTPServerError {
    this.o.log.info({ peer: peer.id, maxConnections: peer.maxConnections }, 'mm4 session refused: over the peer connection cap');
    this.o.metrics.mm4Sessions.inc({ peer: peer.id, result: 'over-cap' });
    return smtpError(new Refusal('throttled', `peer ${peer.id} holds ${peer.maxConnections} sessions already`), reply);
  }

  private async auth(auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<SMTPServerAuthenticationResponse> {
    const peer = await this.peers.login(session.remoteAddress, auth.username ?? '', auth.password ?? '');
    // After the check (an scrypt hash is checked off the event loop): the session as it is now.
    const state = this.sessions.get(session.id);
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
    state.by = 'auth';
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
    // RFC 1870 §6.1: a declared SIZE over the announced limit is refused at once, 552 and (RFC 3463 §3.4)
    // 5.3.4 Message too big for system, the catalogue's message-too-large (see ownSizeCheck).
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
      domain = domainOf(parseMm4Address(address.address, 'RCPT TO'));
    } catch {
      return this.answer('RCPT', new Refusal('address-error', 'not an MMS address'));
    }
    if (domain === undefined || !this.domains.has(domain)) {
      this.o.log.info({ session: session.id, peer: this.sessions.get(session.id)?.peer?.id, domain }, 'mm4 RCPT refused: relay denied');
      this.o.metrics.mm4Commands.inc({ command: 'RCPT', reply: String(RELAY_DENIED.reply) });
      return smtpReplyError(`${RELAY_DENIED.enhanced} ${RELAY_DENIED.text}`, RELAY_DENIED.reply);
    }
    this.o.metrics.mm4Commands.inc({ command: 'RCPT', reply: '250' });
    return undefined;
  }

  /**
   * Reads DATA as it arrives, counting at most mm4.maxMessageBytes of it and only while the listener's budget
   * (mm4.maxInFlightDataBytes) allows: the header block is parsed, and a forward's parts go to a content stage
   * as they are decoded (ForwardStage). Resolves to the 250 text or the refusal.
   */
  private async data(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string | SMTPServerError> {
    const hold = this.budget.open();
    try {
      return await this.readAndHandle(stream, session, hold);
    } finally {
      hold.release();
    }
  }

  private async readAndHandle(stream: SMTPServerDataStream, session: SMTPServerSession, hold: DataHold): Promise<string | SMTPServerError> {
    const peer = this.sessions.get(session.id)?.peer;
    const max = this.o.config.maxMessageBytes;
    const data = new DataSource(stream, max, hold);
    const timer = setTimeout(() => {
      data.abort();
      this.cut(session, 'DATA not received within mm4.dataTimeoutMs');
    }, this.o.config.dataTimeoutMs);
    let staged: ForwardStage | undefined;
    try {
      if (!peer) {
        await data.drain();
        return this.answer('DATA', new Refusal('improper-identification'));
      }
      const log = this.o.log.child({ peer: peer.id, session: session.id });
      const envelope = {
        ...(session.envelope.mailFrom ? { mailFrom: session.envelope.mailFrom.address } : {}),
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
      };
      let msg: Mm4Message | undefined;
      let failure: unknown;
      try {
        msg = await parseMm4(data.chunks(), {
          envelope,
          limits: { maxBytes: max },
          content: async (head) => {
            staged = await this.forwards.stageFor(head, peer, envelope.rcptTo);
            return staged.options;
          },
        });
      } catch (err) {
        failure = err;
      }
      // The rest of DATA (after a stop, or what the parser left unread) is read and dropped.
      await data.drain();
      const outcome = data.outcome();
      if (outcome === 'too-large') {
        log.info({ bytes: data.received, limit: max }, 'mm4 message refused: over the size limit');
        this.o.metrics.mm4Messages.inc({ peer: peer.id, type: 'unparsed', result: 'message-too-large' });
        return this.answer('DATA', new Refusal('message-too-large', `message over the limit of ${max} bytes`));
      }
      if (outcome === 'busy') {
        log.warn(
          { bytes: data.received, held: this.budget.bytes, limit: this.budget.maxBytes },
          'mm4 message refused: over mm4.maxInFlightDataBytes',
        );
        this.o.metrics.mm4Messages.inc({ peer: peer.id, type: 'unparsed', result: 'overloaded' });
        return this.answer('DATA', new Refusal('overloaded', 'the listener is receiving too much at once: retry later'));
      }
      if (failure !== undefined || !msg) {
        if (!(failure instanceof Mm4Error)) {
          // The store failed (or is full) while the parts streamed into it: not stored, the peer retries.
          log.error({ err: failure }, 'mm4 forward: its parts could not be staged');
          this.o.metrics.mm4Messages.inc({ peer: peer.id, type: 'MM4_forward.REQ', result: 'store-unavailable' });
          return this.answer('DATA', new Refusal('store-unavailable'));
        }
        log.info({ code: failure.code, detail: failure.detail }, 'mm4 message refused: malformed');
        const refusal =
          failure.code === 'TOO_LARGE'
            ? new Refusal('message-too-large')
            : new Refusal('format-corrupt', `malformed MM4 message: ${failure.code}`);
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
      if (!staged) throw new Error('mm4 forward parsed without its stage');
      return await this.forwards.forward(msg, staged, peer, envelope.rcptTo, log);
    } catch (err) {
      if (!(err instanceof DataStopped)) throw err;
      // Cut mid-DATA (the timer above): nobody reads this answer; the peer retries the whole message.
      return this.answer('DATA', new Refusal('overloaded', 'DATA not received in time'));
    } finally {
      clearTimeout(timer);
      if (staged) await this.forwards.unstage(staged, this.o.log.child({ session: session.id }));
    }
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

/**
 * The domain of a RCPT TO, in lower case. A mailbox such as the X-Mms-Originator-System we send
 * (`system-user@<our domain>`, where a peer addresses MM4_forward.RES and reports, §8.4.1.2) parses as e-mail,
 * whose domain is inside the address rather than beside it.
 */
function domainOf(a: Mm4Address): string | undefined {
  if (a.domain !== undefined) return a.domain.toLowerCase();
  if (a.address.kind !== 'email') return undefined;
  return a.address.address.slice(a.address.address.lastIndexOf('@') + 1).toLowerCase();
}

/** The catalogue entry's reply (or `reply`, where the protocol allows only some codes) and enhanced code first in the text. */
function smtpError(refusal: Refusal, reply?: number): SMTPServerError {
  const { smtp } = refusal.entry;
  return smtpReplyError(`${smtp.enhanced} ${refusal.message}`, reply ?? smtp.reply);
}
