// Forwards to one MM4 peer (TS 23.140 §8.4.1: MM4_forward.REQ over SMTP, RFC 5321) through a pooled
// nodemailer transport. The MIME is exactly ours (buildMm4, sent `raw`); the SMTP envelope is set explicitly.
import { Mm4Error, type Mm4Message, buildMm4, formatMm4Address, originatorSystemOf } from '../../protocols/mm4/index.js';
import { newMessageId } from '../core/message-id.js';
import { adaptedNote, type RecipientAdapter, refusedDetail } from '../adapt/recipient.js';
import type { CoreMessage, ReportInfo } from '../core/message.js';
import type { CorrelationStore } from '../core/ports.js';
import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { correlationTtl, rememberForward, resOkKey, resendKey } from './correlation.js';
import { forwardMessageId, forwardRequest, mm4Address } from './outbound-forward.js';
import { ackResponse, reportRequest } from './outbound-reports.js';
import { type SmtpOutcome, smtpFailure } from '../transport/smtp-outcome.js';
import { type Mm4PeerOutbound, mm4Peer, peerLimits } from './peer-options.js';
import { type DkimKey, PeerTransport, type PeerTransportOptions } from './peer-transport.js';

export { transportOptions } from './peer-transport.js';

export interface Mm4RouteDeps {
  /** Our MMS domain (originator addresses, Message-IDs) and the name we give in EHLO. */
  ownDomain: string;
  log: Logger;
  /**
   * Where each forward's Transaction-ID and X-Mms-Message-ID are recorded (src/mm4/correlation.ts), so that
   * the RES and reports that come back close the right recipient on any instance. Without it (tests of the
   * SMTP side only) nothing is recorded.
   */
  correlations?: CorrelationStore;
  metrics?: Metrics;
  /**
   * Content over the peer's cap is adapted to the route's caps (src/adapt/: once per message and class)
   * instead of refused, unless its originator forbade adaptation. Unset: refused as too large.
   */
  adapter?: RecipientAdapter;
  /** Signs what is sent (mm4.dkim*), when configured. */
  dkim?: DkimKey;
  /** MX lookup for peers with out.mx (tests give their own); default node:dns. */
  resolveMx?: PeerTransportOptions['resolveMx'];
  now?: () => number;
}

/** What an SMTP failure means for a forward (RFC 5321 §4.2.1): src/transport/smtp-outcome.ts, worded for a peer. */
export function smtpOutcome(peer: string, err: unknown): SmtpOutcome {
  return smtpFailure(`MM4 peer ${peer}`, err, 'the forward');
}

/**
 * Everything the MMSC forwards to one peer carrier over MM4: each recipient's copy as its own
 * MM4_forward.REQ, throttled as one peer (`mm4:<id>`). Connections go only to the host and port of the
 * peer's configuration: an operator's setting, never an address a client chose, so the outbound guard for
 * client-supplied URLs (src/transport/outbound-guard.ts) does not apply, as for an SMSC.
 */
export class Mm4PeerRoute implements Route {
  readonly peer: string;
  readonly limits: Route['limits'];
  private readonly transport: PeerTransport;
  private readonly now: () => number;

  constructor(
    readonly options: Mm4PeerOutbound,
    private readonly deps: Mm4RouteDeps,
  ) {
    this.peer = mm4Peer(options.id);
    this.limits = peerLimits(options);
    this.now = deps.now ?? Date.now;
    const t: PeerTransportOptions = { ownDomain: deps.ownDomain };
    if (deps.dkim) t.dkim = deps.dkim;
    if (deps.resolveMx) t.resolveMx = deps.resolveMx;
    if (deps.now) t.now = deps.now;
    this.transport = new PeerTransport(options, t);
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const type = d.message.ack ? d.message.ack.type : d.message.report ? reportType(d.message.report.kind) : 'MM4_forward.REQ';
    const result = d.message.ack || d.message.report ? await this.reply(d) : await this.forward(d);
    this.deps.metrics?.mm4Sent.inc({ peer: this.options.id, type, result: result.status });
    return result;
  }

  private async forward(d: Delivery): Promise<DeliveryResult> {
    const p = this.options;
    const recipient = d.message.recipients[d.recipientIndex];
    if (!recipient) return { status: 'rejected', detail: `no recipient ${d.recipientIndex}` };
    // §8.4.2.1: when the originator asked for a delivery report, the peer sends MM4_delivery_report.REQ once
    // the recipient retrieved (or refused...) the MM: the recipient is not `delivered` before that (a RES Ok,
    // or the SMTP 250, only says the peer took the forward), else the originator would hear "Retrieved" at once.
    const awaitingReport = d.message.deliveryReport;
    // §8.4.1.2: with X-Mms-Ack-Request the peer answers with MM4_forward.RES. A job back here after `waiting`
    // had no RES that ended it within resTimeoutMs: a RES with a transient error asked for the forward again
    // (src/mm4/inbound-reports.ts); else the peer's policy says what a missing RES means, and a RES Ok that
    // came leaves the job waiting for the delivery report until the message expires.
    if (p.ackRequest && (d.notifications ?? 0) > 0 && !(await this.flagged(resendKey(d.message.id, d.recipientIndex), true))) {
      if (awaitingReport && (p.onMissingRes === 'delivered' || (await this.flagged(resOkKey(d.message.id, d.recipientIndex)))))
        return { status: 'waiting', detail: `forwarded to MM4 peer ${p.id}; awaiting its MM4_delivery_report.REQ` };
      if (p.onMissingRes === 'delivered')
        return { status: 'delivered', detail: `accepted by MM4 peer ${p.id}; no MM4_forward.RES within ${p.resTimeoutMs} ms` };
    }

    // Over the peer's cap: adapted to fit it (issue 25), else refused before fetching or connecting.
    let message = d.message;
    let content: Buffer[];
    let note: string | undefined;
    const declared = message.parts.reduce((n, ref) => n + ref.size, 0);
    const budget = contentBudget(p.maxMessageBytes, message.parts.length);
    if (declared > budget && this.deps.adapter) {
      const resolved = await this.deps.adapter.capabilities(message, d.recipientIndex, this.peer);
      // The peer's MMSC adapts again for its own handset: the route's size is the limit here (TS 23.140
      // §8.1.10: the MMSC may adapt to what the next hop takes).
      const caps = { ...resolved, maxMessageBytes: budget, routeCapped: true };
      const adapted = await this.deps.adapter.content(message, d.recipientIndex, caps, () => d.content());
      if (!adapted.ok) return { status: 'rejected', detail: refusedDetail(adapted) };
      message = withContent(message, adapted.outcome);
      content = [...adapted.content];
      note = adaptedNote(adapted);
    } else {
      if (declared > p.maxMessageBytes) return tooLarge(p, declared);
      content = message.parts.length > 0 ? await d.content() : [];
    }
    const transactionId = newMessageId(this.now());
    let bytes: Buffer;
    try {
      const req = forwardRequest(message, d.recipientIndex, content, {
        ownDomain: this.deps.ownDomain,
        peerDomain: p.domain,
        form: p.envelopeForm,
        originatorSystem: p.originatorSystem,
        ackRequest: p.ackRequest,
        transactionId,
      });
      bytes = buildMm4(req);
    } catch (err) {
      // A value that cannot be written (an address, a header with a line break): the same on every attempt.
      if (err instanceof Mm4Error) return { status: 'rejected', detail: `MM4 forward not built: ${err.message}` };
      throw err;
    }
    if (bytes.length > p.maxMessageBytes) return tooLarge(p, bytes.length);

    const envelope = {
      from: formatMm4Address(mm4Address(d.message.originator, this.deps.ownDomain, p.envelopeForm)),
      to: [formatMm4Address(mm4Address(recipient, p.domain, p.envelopeForm))],
    };
    const log = this.deps.log.child({ peer: p.id, messageId: d.message.id, recipientIndex: d.recipientIndex, transactionId });
    if (this.deps.correlations) {
      const now = this.now();
      const ids = { transactionId, messageId: forwardMessageId(d.message.id, d.recipientIndex, this.deps.ownDomain) };
      const ref = { messageId: d.message.id, recipientIndex: d.recipientIndex, sentAt: now };
      try {
        await rememberForward(this.deps.correlations, p.id, ids, ref, correlationTtl(d.message.expiresAt, now));
      } catch (err) {
        // Sent without it, the RES and reports could not find the job: not sent now, tried again.
        log.warn({ err }, 'MM4 forward correlation not stored; forward deferred');
        return { status: 'retry', error: `MM4 forward correlation not stored: ${(err as Error).message}` };
      }
    }
    try {
      const info = await (await this.transport.pool()).sendMail({ envelope, raw: bytes });
      log.info({ response: info.response, bytes: bytes.length }, 'MM4 forward accepted');
      const adapted = note ? `; ${note}` : '';
      if (!p.ackRequest && awaitingReport) return { status: 'waiting', detail: `forwarded; awaiting MM4_delivery_report.REQ${adapted}` };
      if (!p.ackRequest) return { status: 'delivered', detail: `accepted by MM4 peer ${p.id}: ${info.response}${adapted}` };
      // Kept open until the RES (or resTimeoutMs, then onMissingRes): `waiting` uses no attempt.
      return { status: 'waiting', detail: `forwarded; awaiting MM4_forward.RES${adapted}`, retryAfterMs: p.resTimeoutMs };
    } catch (err) {
      const outcome = smtpOutcome(p.id, err);
      log.info({ code: (err as { code?: string }).code, outcome: outcome.status }, 'MM4 forward not accepted');
      return outcome;
    }
  }

  /**
   * A mark the inbound side left for this job (src/mm4/correlation.ts: resendKey, resOkKey). `consume`: it is
   * acted on once (a transient RES asks for one more forward, not one on every later look); the store has no
   * delete, so it is overwritten to expire at once.
   */
  private async flagged(key: string, consume = false): Promise<boolean> {
    const store = this.deps.correlations;
    if (!store) return false;
    try {
      const v = await store.get(key);
      const found = v !== undefined && v !== ''; // '' is a consumed mark in its last millisecond
      if (found && consume) await store.put(key, '', 1);
      return found;
    } catch {
      return false;
    }
  }

  /**
   * A report on an MM the peer forwarded to us, or a RES we owe it: one short MM4 message through the same
   * pool. SMTP 250 ends it (we ask no RES of a report); 4yz and connection trouble retry, 5yz rejects.
   * Envelope: from our originator system; to the MM's originator at the peer (a report, §8.4.2.1) or the
   * mailbox the request's X-Mms-Originator-System named (a RES, §8.4.1.2).
   */
  private async reply(d: Delivery): Promise<DeliveryResult> {
    const p = this.options;
    const m = d.message;
    const rcpt = m.recipients[0];
    if (!rcpt) return { status: 'rejected', detail: 'no recipient' };
    let msg: Mm4Message;
    let to: string;
    try {
      if (m.ack) {
        msg = ackResponse(m, this.now());
        to = rcpt.address;
      } else {
        const ctx = {
          ownDomain: this.deps.ownDomain,
          peerDomain: p.domain,
          form: p.envelopeForm,
          originatorSystem: p.originatorSystem,
          now: this.now(),
        };
        msg = reportRequest(m, ctx);
        to = formatMm4Address(mm4Address(rcpt, p.domain, p.envelopeForm));
      }
    } catch (err) {
      if (err instanceof Mm4Error || err instanceof RangeError)
        return { status: 'rejected', detail: `MM4 ${m.ack ? 'RES' : 'report'} not built: ${err.message}` };
      throw err;
    }
    let bytes: Buffer;
    try {
      bytes = buildMm4(msg);
    } catch (err) {
      if (err instanceof Mm4Error) return { status: 'rejected', detail: `${msg.type} not built: ${err.message}` };
      throw err;
    }
    const from = originatorSystemOf(p.originatorSystem)?.mailbox ?? p.originatorSystem;
    const log = this.deps.log.child({ peer: p.id, messageId: m.id, type: msg.type, transactionId: msg.transactionId });
    try {
      const info = await (await this.transport.pool()).sendMail({ envelope: { from, to: [to] }, raw: bytes });
      log.info({ response: info.response }, `${msg.type} accepted`);
      return { status: 'delivered', detail: `${msg.type} accepted by MM4 peer ${p.id}: ${info.response}` };
    } catch (err) {
      const outcome = smtpOutcome(p.id, err);
      log.info({ code: (err as { code?: string }).code, outcome: outcome.status }, `${msg.type} not accepted`);
      return outcome;
    }
  }

  /** Closes the pools' connections (on shutdown). */
  close(): void {
    this.transport.close();
  }
}

function reportType(kind: ReportInfo['kind']): string {
  // An event (the sender's API) never goes to a peer carrier: its route is the REST callback's.
  return kind === 'read' ? 'MM4_read_reply_report.REQ' : 'MM4_delivery_report.REQ';
}

function tooLarge(p: Mm4PeerOutbound, size: number): DeliveryResult {
  return { status: 'rejected', detail: `message of ${size} bytes is over MM4 peer ${p.id}'s ${p.maxMessageBytes}-byte limit` };
}

/**
 * The content bytes that fit a peer's cap on the whole MM4 message: parts travel base64 in 76-character lines
 * (RFC 2045 §6.8: 4/3, plus CRLF every 76: x1.37) with their MIME headers, and the RFC 5322 header block.
 */
export function contentBudget(maxMessageBytes: number, parts: number): number {
  return Math.max(0, Math.floor((maxMessageBytes - 4096 - 300 * (parts + 1)) / 1.37));
}

/** The message as the adapted content makes it (its type, parameters and parts). */
function withContent(
  m: CoreMessage,
  o: { contentType: string; contentTypeParams?: Record<string, string | number>; parts: CoreMessage['parts'] },
): CoreMessage {
  const out: CoreMessage = { ...m, contentType: o.contentType, parts: [...o.parts] };
  if (o.contentTypeParams) out.contentTypeParams = { ...o.contentTypeParams };
  else delete out.contentTypeParams;
  return out;
}
