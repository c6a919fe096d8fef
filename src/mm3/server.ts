// MM3 inbound listener (3GPP TS 23.140 §8.3): Internet mail for subscribers, handed over by the operator's
// mail relays, on smtp-server.

import type { IntakeContentCheck } from '../core/content-check.js';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerError, type SMTPServerSession } from 'smtp-server';
import { Mm4Error } from '../../protocols/mm4/index.js';
import { Intake, type IntakeOptions } from '../core/intake.js';
import type { Party } from '../core/message.js';
import { buildMessage } from '../core/message-builder.js';
import type { Queue, Throttle } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import type { Router } from '../core/router.js';
import type { Mm3Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { CidrList } from '../transport/ip-ranges.js';
import { closeSmtp, listenSmtp, smtpReplyError } from '../transport/smtp-listener.js';
import { SMTP_REPLY } from '../transport/smtp-status.js';
import { subscriberOf } from './addresses.js';
import { mailSubmission, readMail } from './inbound-mail.js';

export interface Mm3ServerOptions {
  config: Mm3Config;
  queue: Queue;
  throttle: Throttle;
  router: Router;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
  /** Every part's bytes checked against its declared type and content.allowedTypes (issue 25); none: not checked. */
  contentCheck?: IntakeContentCheck | undefined;
}

/**
 * RCPT TO refusals that are not refusals of the catalogue: they are about the address's domain or mailbox,
 * which no other edge has. Relaying (another domain) 550 X.7.1 Delivery not authorized (RFC 5321 §3.6.2,
 * RFC 3463 §3.8); a mailbox of our domain that is no number 550 X.1.1 Bad destination mailbox address
 * (RFC 3463 §3.2): the only mailboxes here are subscribers.
 */
const RCPT_REFUSED = {
  relay: { reply: SMTP_REPLY.MAILBOX_UNAVAILABLE, enhanced: '5.7.1', text: 'relay denied: not the MMS domain of this MMSC' },
  'not-a-number': { reply: SMTP_REPLY.MAILBOX_UNAVAILABLE, enhanced: '5.1.1', text: 'no such mailbox: a subscriber is +<number>@domain' },
} as const;

/** What the listener keeps of one transaction's recipients (by session id). */
interface SessionState {
  recipients: Party[];
  /** A recipient asked NOTIFY=SUCCESS (RFC 3461 §4.1). */
  dsnSuccess: boolean;
}

/**
 * The MM3 listener:
 * - default deny: only the relays of mm3.relays (CIDR) may connect; anything else is refused at the greeting;
 * - RCPT TO only `+N@<mm3.domain>` (no relay, ever; no mailboxes but subscribers), and only numbers the
 *   route table reaches;
 * - SIZE (RFC 1870) announced, checked at MAIL FROM and while DATA streams (held in memory, bounded by
 *   mm3.maxMessageBytes);
 * - DSN (RFC 3461) parameters read: NOTIFY=SUCCESS asks for the delivery report;
 * - the mail goes through the core intake (one inbound budget for all e-mail) and is answered 250 only once
 *   it is stored; refusals with the catalogue's SMTP reply and enhanced status code.
 * No STARTTLS or AUTH: the relays are the operator's own, recognised by address.
 */
export class Mm3Server {
  private readonly server: SMTPServer;
  private readonly intake: Intake;
  private readonly relays: CidrList;
  private readonly sessions = new Map<string, SessionState>();
  private readonly domain: string;

  constructor(private readonly o: Mm3ServerOptions) {
    const c = o.config;
    if (c.domain === undefined) throw new RangeError('mm3.domain is required');
    this.domain = c.domain;
    this.relays = new CidrList(c.relays);
    const intake: IntakeOptions = { queue: o.queue, throttle: o.throttle, router: o.router, log: o.log };
    if (o.now) intake.now = o.now;
    if (o.contentCheck) intake.content = o.contentCheck;
    this.intake = new Intake(intake);
    this.server = new SMTPServer({
      name: c.domain,
      banner: 'MM3 (3GPP TS 23.140) e-mail to MMS',
      size: c.maxMessageBytes,
      // Our refusals carry their enhanced code at the start of their text (RFC 3463), from the catalogue.
      hideENHANCEDSTATUSCODES: true,
      hideDSN: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      maxClients: c.maxConnections,
      socketTimeout: c.idleTimeoutMs,
      closeTimeout: 1000,
      onConnect: (session, cb) => cb(this.connect(session)),
      onMailFrom: (address, session, cb) => cb(this.mailFrom(address, session)),
      onRcptTo: (address, session, cb) => cb(this.rcptTo(address, session)),
      onData: (stream, session, cb) => {
        this.data(stream, session).then(
          (r) => cb(r instanceof Error ? r : null, r instanceof Error ? undefined : r),
          (err: unknown) => {
            o.log.error({ err, session: session.id }, 'mm3 DATA failed');
            cb(smtpError(new Refusal('store-unavailable')));
          },
        );
      },
      onClose: (session) => this.sessions.delete(session.id),
    });
    this.server.on('error', (err) => o.log.warn({ err }, 'mm3 listener error'));
  }

  /** Listens; resolves to `smtp://host:port`. */
  listen(host: string, port: number): Promise<string> {
    return listenSmtp(this.server, host, port);
  }

  /** Stops listening; sessions still open are closed after smtp-server's closeTimeout (1 s). */
  close(): Promise<void> {
    return closeSmtp(this.server);
  }

  private connect(session: SMTPServerSession): Error | undefined {
    if (!this.relays.has(session.remoteAddress)) {
      this.o.log.info({ session: session.id, from: session.remoteAddress }, 'mm3 session refused: not an allowed mail relay');
      this.o.metrics.mm3Sessions.inc({ result: 'refused' });
      // At the greeting only 554 refuses (RFC 5321 §3.1, §4.3.2); the enhanced code is the catalogue's.
      return smtpError(new Refusal('improper-identification', 'no mail relay is allowed from this address'), 554);
    }
    this.o.metrics.mm3Sessions.inc({ result: 'accepted' });
    return undefined;
  }

  private mailFrom(address: SMTPServerAddress, session: SMTPServerSession): Error | undefined {
    this.sessions.set(session.id, { recipients: [], dsnSuccess: false });
    // RFC 1870 §6.1: smtp-server refuses a SIZE over the announced limit itself (552) before this hook; the
    // same check with the catalogue's text, should the library's ever be switched off.
    const size = address.args ? address.args.SIZE : undefined;
    if (typeof size === 'string' && Number(size) > this.o.config.maxMessageBytes)
      return smtpError(new Refusal('message-too-large', `${size} bytes is over the limit of ${this.o.config.maxMessageBytes}`));
    return undefined;
  }

  private rcptTo(address: SMTPServerAddress, session: SMTPServerSession): Error | undefined {
    const state = this.sessions.get(session.id);
    if (!state) return smtpError(new Refusal('validation-error', 'MAIL FROM first'));
    if (state.recipients.length >= this.o.config.maxRecipients)
      return smtpError(new Refusal('too-many-recipients', `at most ${this.o.config.maxRecipients} recipients in one transaction`));
    const r = subscriberOf(address.address, this.domain);
    if ('problem' in r) {
      const refused = RCPT_REFUSED[r.problem];
      this.o.log.info({ session: session.id, problem: r.problem }, 'mm3 RCPT refused');
      return smtpReplyError(`${refused.enhanced} ${refused.text}`, refused.reply);
    }
    // A subscriber no route reaches is refused here, recipient by recipient (the others of the transaction
    // still go), rather than failing the whole mail at DATA (RFC 5321 §3.3: RCPT is where a mailbox is refused).
    if (!this.routable(r.party)) {
      this.o.log.info({ session: session.id }, 'mm3 RCPT refused: no route to the subscriber');
      return smtpError(new Refusal('unroutable', `recipient ${r.party.address} cannot be reached from this MMSC`));
    }
    state.recipients.push(r.party);
    if (dsnNotify(address).includes('SUCCESS')) state.dsnSuccess = true;
    return undefined;
  }

  /** Whether the route table has a route to `party` for a mail (the same question intake asks at DATA). */
  private routable(party: Party): boolean {
    const probe = buildMessage({
      now: 0,
      originator: { address: 'probe@invalid', type: 'email' },
      recipients: [{ ...party, kind: 'to' }],
      origin: { iface: 'mm3', peer: 'relay' },
      parts: [],
      lifetime: { defaultMs: 1 },
    });
    return this.o.router.route(probe, 0) !== undefined;
  }

  /** Reads DATA (bounded), reads the mail and hands it on; resolves to the 250 text or the refusal to answer. */
  private async data(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string | Error> {
    const c = this.o.config;
    const max = c.maxMessageBytes;
    const chunks: Buffer[] = [];
    let held = 0;
    const read = new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        // Past the limit nothing more is held; the rest is read and dropped, and DATA answered 552 (RFC 1870 §6.3).
        if (held + chunk.length <= max) chunks.push(chunk);
        held += chunk.length;
      });
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const timer = setTimeout(() => this.cut(session), c.dataTimeoutMs);
    try {
      await read;
    } finally {
      clearTimeout(timer);
    }
    const state = this.sessions.get(session.id) ?? { recipients: [], dsnSuccess: false };
    this.sessions.delete(session.id);
    if (stream.sizeExceeded || held > max) return this.refused(new Refusal('message-too-large', `message over the limit of ${max} bytes`));
    let mail: Awaited<ReturnType<typeof readMail>>;
    try {
      mail = await readMail(Buffer.concat(chunks), max);
    } catch (err) {
      if (!(err instanceof Mm4Error)) throw err;
      this.o.log.info({ session: session.id, code: err.code, detail: err.detail }, 'mm3 e-mail refused: malformed');
      return this.refused(
        err.code === 'TOO_LARGE' ? new Refusal('message-too-large') : new Refusal('format-corrupt', `malformed e-mail: ${err.code}`),
      );
    }
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
    const r = await this.intake.submit({
      from: { kind: 'mailRelay', id: 'mm3' },
      throttle: { limits: { rate: c.inboundRate, burst: c.inboundBurst, maxInFlight: c.maxConnections }, slotMs: c.dataTimeoutMs },
      unroutable: 'refuse',
      build: (id, now) =>
        mailSubmission(
          mail,
          {
            recipients: state.recipients,
            ...(mailFrom ? { mailFrom } : {}),
            deliveryReport: state.dsnSuccess,
            lifetime: { defaultMs: c.defaultExpiryMs },
          },
          id,
          now,
        ),
    });
    if (!r.ok) return this.refused(r.refusal);
    this.o.log.info(
      { session: session.id, messageId: r.messageId, recipients: r.recipients, parts: mail.parts.length },
      'mm3 e-mail accepted',
    );
    this.o.metrics.mm3Messages.inc({ direction: 'in', kind: 'message', result: 'accepted' });
    return `2.6.0 queued as ${r.messageId}`;
  }

  private refused(refusal: Refusal): Error {
    this.o.metrics.mm3Messages.inc({ direction: 'in', kind: 'message', result: refusal.code });
    return smtpError(refusal);
  }

  /** Closes a session whose DATA stalls: the relay sees the connection drop and retries later. */
  private cut(session: SMTPServerSession): void {
    this.o.log.info({ session: session.id }, 'mm3 session cut: DATA not received within mm3.dataTimeoutMs');
    for (const conn of this.server.connections) if (conn.id === session.id) conn.close();
  }
}

/** NOTIFY values of a RCPT TO (RFC 3461 §4.1), upper case; smtp-server sets `dsn` when DSN is offered. */
function dsnNotify(address: SMTPServerAddress): readonly string[] {
  const dsn = (address as { dsn?: { notify?: string[] } }).dsn;
  if (dsn?.notify) return dsn.notify.map((n) => n.toUpperCase());
  const arg = address.args ? (address.args as Record<string, unknown>).NOTIFY : undefined;
  return typeof arg === 'string' ? arg.toUpperCase().split(',') : [];
}

/** The catalogue entry's reply (or `reply`, where the protocol allows only some codes) and enhanced code first in the text. */
function smtpError(refusal: Refusal, reply?: number): SMTPServerError {
  const { smtp } = refusal.entry;
  return smtpReplyError(`${smtp.enhanced} ${refusal.message}`, reply ?? smtp.reply);
}
