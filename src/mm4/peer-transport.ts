// The SMTP client side of one MM4 peer: which host its messages go to (the configured one, or the peer
// domain's MX when the peer asks for that) and one nodemailer pool per such host, DKIM-signing when a key is
// configured. Split from peer-route.ts, which decides what to send; this decides where and how.
import type { MxRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { applySmtpTls } from '../transport/smtp-tls.js';
import type { Mm4PeerOutbound } from './peer-options.js';

/** What nodemailer signs with (RFC 6376): our signing domain (d=), selector (s=) and the PEM private key. */
export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/** Fields signed (RFC 6376 §5.4): the usual RFC 5322 ones and the MM4 fields a peer acts on. */
const DKIM_FIELDS = [
  'From',
  'Sender',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'X-Mms-3GPP-MMS-Version',
  'X-Mms-Message-Type',
  'X-Mms-Transaction-ID',
  'X-Mms-Message-ID',
  'X-Mms-Originator-System',
  'X-Mms-Ack-Request',
  'X-Mms-Request-Status-Code',
  'X-Mms-MM-Status-Code',
  'X-Mms-Read-Status',
  'X-Mms-Delivery-Report',
  'X-Mms-Read-Reply',
  'X-Mms-Expiry',
].join(':');

/** How long an MX answer is used before it is asked again (a peer moving its relays is seen within this). */
const MX_TTL_MS = 5 * 60_000;

/** A peer's SMTP host could not be found (no MX, DNS down): the forward is tried again later. */
export class PeerHostError extends Error {
  override readonly name = 'PeerHostError';
  readonly code = 'EMX';
}

export interface PeerTransportOptions {
  ownDomain: string;
  dkim?: DkimKey;
  /** MX lookup (tests give a resolver of their own); default node:dns with the system's servers. */
  resolveMx?: (domain: string) => Promise<MxRecord[]>;
  now?: () => number;
}

/**
 * One peer's pools. `p.mx` false (the default, and the rule on GRX/IPX, whose domains such as
 * mms.mnc001.mcc310.gprs are in no public DNS): the configured host. `p.mx` true: the MX of the peer's MMS
 * domain (RFC 5321 §5.1: the most preferred exchange; the next ones are not tried within one attempt, the
 * queue's retry is), looked up again after MX_TTL_MS.
 */
export class PeerTransport {
  private readonly pools = new Map<string, Transporter<SMTPPool.SentMessageInfo>>();
  private mx: { host: string; until: number } | undefined;
  private readonly resolveMx: (domain: string) => Promise<MxRecord[]>;
  private readonly now: () => number;

  constructor(
    private readonly p: Mm4PeerOutbound,
    private readonly o: PeerTransportOptions,
  ) {
    this.resolveMx = o.resolveMx ?? ((domain) => new Resolver().resolveMx(domain));
    this.now = o.now ?? Date.now;
  }

  /** The pool for the peer's current host. Throws PeerHostError when an MX lookup gives none. */
  async pool(): Promise<Transporter<SMTPPool.SentMessageInfo>> {
    const host = this.p.mx ? await this.mxHost() : this.p.host;
    let pool = this.pools.get(host);
    if (!pool) {
      pool = createTransport(transportOptions(this.p, this.o.ownDomain, host, this.o.dkim));
      this.pools.set(host, pool);
    }
    return pool;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private async mxHost(): Promise<string> {
    const now = this.now();
    if (this.mx && this.mx.until > now) return this.mx.host;
    let records: MxRecord[];
    try {
      records = await this.resolveMx(this.p.domain);
    } catch (err) {
      throw new PeerHostError(`MX of ${this.p.domain}: ${(err as Error).message}`);
    }
    // RFC 7505: a "null MX" (one record, exchange ".", shown by resolvers as "") says the domain takes no mail.
    const usable = records.filter((r) => r.exchange !== '' && r.exchange !== '.').sort((a, b) => a.priority - b.priority);
    const best = usable[0];
    if (!best) throw new PeerHostError(`MX of ${this.p.domain}: no mail exchanger`);
    // A host that was dropped from the MX set keeps its pool until close(): its connections idle out.
    this.mx = { host: best.exchange.replace(/\.$/, ''), until: now + MX_TTL_MS };
    return this.mx.host;
  }
}

/** nodemailer's pool options for a peer's host: our EHLO name, the TLS mode, the timeouts, AUTH and DKIM. */
export function transportOptions(p: Mm4PeerOutbound, ownDomain: string, host = p.host, dkim?: DkimKey): SMTPPool.Options {
  const o: SMTPPool.Options = {
    pool: true,
    host,
    port: p.port,
    name: ownDomain,
    maxConnections: p.maxConnections,
    connectionTimeout: p.timeouts.connectMs,
    greetingTimeout: p.timeouts.greetingMs,
    socketTimeout: p.timeouts.socketMs,
    logger: false,
    debug: false,
  };
  applySmtpTls(o, p.tls, host, p.ca);
  if (p.auth) o.auth = { user: p.auth.user, pass: p.auth.pass };
  // nodemailer signs whatever it sends, `raw` messages included (RFC 6376, relaxed/relaxed); besides its
  // RFC 5322 fields, the MM4 ones that say what the message is and whose (TS 23.140 §8.4).
  if (dkim) o.dkim = { ...dkim, headerFieldNames: DKIM_FIELDS };
  return o;
}
