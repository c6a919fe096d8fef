// MM3 outbound (3GPP TS 23.140 §8.3): MMs to e-mail recipients, and reports to e-mail senders, through the
// operator's mail relay (smart host) over a pooled nodemailer transport, DKIM-signed when a key is configured.
import { readFileSync } from 'node:fs';
import { createTransport, type Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Mm3Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { smtpFailure } from '../transport/smtp-outcome.js';
import { applySmtpTls } from '../transport/smtp-tls.js';
import { type Composed, messageMail, reportMail } from './compose.js';

/** Queue/throttle peer of everything sent to the relay. */
export const MM3_PEER = 'mm3:relay';

/** Client timeouts towards the relay (it is the operator's own, close by). */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 } as const;

export interface Mm3RouteDeps {
  metrics: Metrics;
  log: Logger;
}

/**
 * Everything MM3 sends: each e-mail recipient's copy of an MM as its own mail, and delivery/read reports to
 * e-mail senders, all to the one relay of the configuration (an operator's setting, never an address a client
 * chose, so the outbound guard for client URLs does not apply, as for an SMSC or an MM4 peer). SMTP replies:
 * 250 delivered (into the relay: the recipient's mailbox is further on, and no DSN is asked for), 4yz or no
 * answer retried through the queue, 5yz rejected with the reply.
 */
export class Mm3RelayRoute implements Route {
  readonly peer = MM3_PEER;
  readonly limits: Route['limits'];
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  private readonly domain: string;
  private readonly who: string;

  constructor(
    private readonly config: Mm3Config,
    private readonly deps: Mm3RouteDeps,
  ) {
    if (config.domain === undefined) throw new RangeError('mm3.domain is required');
    this.domain = config.domain;
    this.limits = { rate: config.relayRate, burst: config.relayBurst, maxInFlight: config.relayMaxConnections };
    this.who = `mail relay ${config.relayHost}:${config.relayPort}`;
    this.transport = createTransport(relayTransportOptions(config));
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const kind = d.message.report ? 'report' : 'message';
    const result = await this.attempt(d);
    this.deps.metrics.mm3Messages.inc({ direction: 'out', kind, result: result.status });
    return result;
  }

  private async attempt(d: Delivery): Promise<DeliveryResult> {
    const m = d.message;
    const max = this.config.maxMessageBytes;
    // Over the cap: refused before fetching or connecting (base64 adds a third again; checked on the bytes below).
    const declared = m.parts.reduce((n, ref) => n + ref.size, 0);
    if (declared > max) return { status: 'rejected', detail: `message of ${declared} bytes is over mm3.maxMessageBytes (${max})` };
    let composed: Composed;
    try {
      composed = m.report
        ? reportMail(m, this.domain)
        : messageMail(m, d.recipientIndex, m.parts.length > 0 ? await d.content() : [], this.domain);
    } catch (err) {
      // No e-mail form for an address: the same on every attempt.
      if (err instanceof RangeError) return { status: 'rejected', detail: `not sent as e-mail: ${err.message}` };
      throw err;
    }
    // Written here rather than inside sendMail, so that the size is known before connecting.
    const raw = await new MailComposer(composed.mail).compile().build();
    if (raw.length > max) return { status: 'rejected', detail: `e-mail of ${raw.length} bytes is over mm3.maxMessageBytes (${max})` };
    const log = this.deps.log.child({ messageId: m.id, recipientIndex: d.recipientIndex, report: m.report?.kind });
    try {
      // `raw`: sent as written (DKIM still signs it: nodemailer signs whatever it sends).
      const info = await this.transport.sendMail({ envelope: composed.envelope, raw });
      log.info({ response: info.response, messageSize: info.messageSize }, 'MM3 e-mail accepted by the relay');
      return { status: 'delivered', detail: `accepted by the ${this.who}: ${info.response}` };
    } catch (err) {
      const outcome = smtpFailure(this.who, err);
      log.info({ code: (err as { code?: string }).code, outcome: outcome.status }, 'MM3 e-mail not accepted');
      return outcome;
    }
  }

  /** Closes the pool's connections (on shutdown). */
  close(): void {
    this.transport.close();
  }
}

/** nodemailer's pool options for the relay: the TLS mode, AUTH, DKIM, our MMS domain as the EHLO name. */
export function relayTransportOptions(c: Mm3Config): SMTPPool.Options {
  const o: SMTPPool.Options = {
    pool: true,
    host: c.relayHost,
    port: c.relayPort,
    maxConnections: c.relayMaxConnections,
    ...TIMEOUTS,
    logger: false,
    debug: false,
  };
  if (c.domain !== undefined) o.name = c.domain;
  applySmtpTls(o, c.relayTls, c.relayHost);
  if (c.relayUser !== undefined && c.relayPassword !== undefined) o.auth = { user: c.relayUser, pass: c.relayPassword };
  if (c.dkimDomain !== undefined && c.dkimSelector !== undefined && c.dkimKeyFile !== undefined) {
    // RFC 6376: nodemailer signs the whole message as written (relaxed/relaxed, rsa-sha256).
    o.dkim = { domainName: c.dkimDomain, keySelector: c.dkimSelector, privateKey: readFileSync(c.dkimKeyFile, 'utf8') };
  }
  return o;
}
