import type { IntakeContentCheck } from '../core/content-check.js';
import { HOME_NETWORK, type NumberPortability } from '../core/portability.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  decodePdu,
  encodePdu,
  encodePduChunks,
  PduError,
  type MmsPdu,
  type RetrieveStatus,
  type SendConf,
} from '../../protocols/mms/index.js';
import { Intake, type IntakeResult } from '../core/intake.js';
import { TERMINAL_STATES, type CoreMessage } from '../core/message.js';
import { REFUSALS, Refusal } from '../core/refusals.js';
import type { ReportGenerator } from '../core/reports.js';
import type { Router } from '../core/router.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { CidrList } from '../transport/ip-ranges.js';
import type { Mm1Config } from '../ops/config.js';
import { closeHttp, createEdgeServer, listenHttp } from '../transport/http-listen.js';
import { type ListenerTls, reloadHttpTls } from '../transport/http-tls.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Queue, Throttle } from '../core/ports.js';
import type { HandsetHint } from '../adapt/capabilities.js';
import { adaptedNote, type RecipientAdapter } from '../adapt/recipient.js';
import { HandsetHints, type HandsetHintsOptions } from './handset-hints.js';
import { NOTIFY_PEER } from './notify-route.js';
import { handsetHintOf } from './profile-header.js';
import type { NumberPlan, SubscriberResult } from './numbers.js';
import { MMS_VERSION, retrieveConfFor } from './pdus.js';
import { RefusalLog } from './refusal-log.js';
import { recipientCount, toCoreMessage } from './send-req.js';
import { responseStatus } from './statuses.js';
import type { Tokens } from './tokens.js';
import { WebView } from './web-view-handler.js';

export const MMS_MEDIA_TYPE = 'application/vnd.wap.mms-message';

/**
 * Refusals answered by status alone or in an m-retrieve-conf (its Retrieve-Status, §6.3, is another table than
 * the catalogue's Response-Status): their HTTP status is the entry's.
 */
const UNKNOWN_SUBSCRIBER = REFUSALS['improper-identification'];
const MESSAGE_GONE = REFUSALS['message-not-found'];

/** Copies retrieved adapted, remembered in this process for their acknowledgement's detail (the oldest forgotten beyond). */
const ADAPTED_COPIES = 10_000;

/** A refusal of an untrusted source is logged at most once per source in this window (RefusalLog). */
const UNTRUSTED_LOG_WINDOW_MS = 60_000;
/** Untrusted sources remembered for that (the oldest forgotten beyond: a bounded map, whatever a scan's addresses). */
const UNTRUSTED_LOG_SOURCES = 1_000;

export interface Mm1ServerOptions {
  config: Mm1Config;
  queue: Queue;
  /** Per-subscriber submission limits (mm1.submitRate...), shared by every instance. */
  throttle: Throttle;
  router: Router;
  reports: ReportGenerator;
  tokens: Tokens;
  plan: NumberPlan;
  /** Number portability (docs/portability.md): a number outside mm1.localPrefixes ported to us is ours too. */
  portability?: NumberPortability | undefined;
  /** The recipient's capabilities (with the retrieval's own headers) and the content adapted for them. */
  adapter: RecipientAdapter;
  metrics: Metrics;
  log: Logger;
  /** Called when a request ended a recipient (the report pump then looks for final events at once). */
  onFinal?: () => void;
  /**
   * Where what handsets say of themselves (x-wap-profile / Profile, User-Agent) is remembered per identified
   * subscriber, and a UAProf without MMS marks it text-only (src/mm1/handset-hints.ts). Unset: nothing is.
   */
  handsets?: Omit<HandsetHintsOptions, 'log' | 'now'> | undefined;
  now?: () => number;
  /** Every part's bytes checked against its declared type and content.allowedTypes (issue 25); none: not checked. */
  contentCheck?: IntakeContentCheck | undefined;
}

/**
 * The MMS Proxy-Relay's HTTP side for handsets (OMA-TS-MMS_CTR §7, OMA-TS-MMS_ENC §6):
 * - GET /r/<token>: m-retrieve-conf of the recipient's copy (the token came in the notification);
 * - POST of an MMS PDU: m-send-req (answered m-send-conf), m-notifyresp-ind, m-acknowledge-ind,
 *   m-read-rec-ind (answered 204);
 * - GET /m/<token>[/<n>]: the web view of the SMS fallback link (no subscriber identity needed: the
 *   token is the credential), unless it has a listener of its own (mm1.webViewPort): then not here.
 * The subscriber is who the operator's WAP gateway names in `msisdnHeader`, believed only from the gateway's
 * own addresses (`trustedProxies`): anything else from any other source is refused before it is read, and
 * requests without a local subscriber are refused; each such 403 logs why (an untrusted source once a minute).
 * Bodies are bounded while they stream in; every refusal carries the MMS status the handset understands, in
 * the MMS version it spoke.
 */
export class Mm1Server {
  private readonly server: Server;
  private readonly now: () => number;
  /** Undefined when the web view has a listener of its own. */
  private readonly webView: WebView | undefined;
  /** Sources whose subscriber header is believed (the operator's WAP gateways). */
  private readonly trusted: CidrList;
  /** The path of publicUrl ('' or e.g. '/mms'): the WAP gateway may pass it on, or strip it. */
  private readonly basePath: string;
  /** Untrusted sources' refusals: a warn line per source per minute, so that a scanner cannot flood the log. */
  private readonly untrustedLog: RefusalLog;
  /** How an m-send-req is accepted (core/intake.ts): the subscriber's limit, routed, stored, then answered. */
  private readonly intake: Intake;
  /**
   * `<messageId>/<recipient>` -> what adaptation changed in the copy retrieved, so that the final detail (and
   * with it the originator's delivery report: MM7 StatusText) says it. In this process: an acknowledgement
   * served by another instance ends the copy without it (the job's history has it from the notification).
   */
  private readonly adaptedCopies = new Map<string, string>();
  /** Handset hints of identified subscribers (mm1 option `handsets`). */
  readonly handsets: HandsetHints | undefined;

  constructor(private readonly o: Mm1ServerOptions) {
    this.now = o.now ?? Date.now;
    this.handsets = o.handsets && new HandsetHints({ ...o.handsets, log: o.log, now: this.now });
    this.intake = new Intake({
      queue: o.queue,
      throttle: o.throttle,
      router: o.router,
      log: o.log,
      now: this.now,
      ...(o.contentCheck ? { content: o.contentCheck } : {}),
    });
    this.basePath = basePathOf(o.config.publicUrl);
    this.trusted = new CidrList(o.config.trustedProxies);
    this.untrustedLog = new RefusalLog({ windowMs: UNTRUSTED_LOG_WINDOW_MS, maxSources: UNTRUSTED_LOG_SOURCES, now: this.now });
    this.webView =
      o.config.webViewPort === undefined
        ? new WebView({ queue: o.queue, tokens: o.tokens, metrics: o.metrics, log: o.log, now: this.now })
        : undefined;
    this.server = createEdgeServer(
      {
        requestTimeoutMs: o.config.requestTimeoutMs,
        headersTimeoutMs: o.config.headersTimeoutMs,
        log: o.log,
        what: 'mm1',
        tls: this.tls,
        failed: (res) => this.plain(res, HTTP_STATUS.INTERNAL_SERVER_ERROR, 'internal error', 'http'),
      },
      (req, res) => this.handle(req, res),
    );
  }

  listen(host: string, port: number): Promise<string> {
    return listenHttp(this.server, host, port);
  }

  /** mm1.tls's files read again for new connections (SIGHUP); a ConfigError leaves the ones in use. */
  reloadTls(): void {
    if (this.tls) reloadHttpTls(this.server, this.tls);
  }

  private get tls(): ListenerTls | undefined {
    return this.o.config.tls ? { key: 'mm1.tls', config: this.o.config.tls } : undefined;
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req, this.basePath);
    if (this.webView && path.startsWith('/m/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return this.plain(res, HTTP_STATUS.METHOD_NOT_ALLOWED, 'GET only', 'view', { allow: 'GET, HEAD' });
      return this.webView.handle(path.slice(3), req, res);
    }
    const who = await this.identify(req);
    if ('refused' in who && who.refused === 'untrusted-source') {
      // Not through the operator's gateway: its header may be anyone's, so nothing is opened or read.
      this.logRefusal(req, who);
      if (req.method === 'GET' && path.startsWith('/r/'))
        return this.retrieveError(res, UNKNOWN_SUBSCRIBER.http, 'Error-permanent-service-denied', 'unknown subscriber');
      if (req.method === 'POST') return this.refuseRequest(res, new Refusal('improper-identification', 'unknown subscriber'), 'http');
      return this.plain(res, UNKNOWN_SUBSCRIBER.http, 'forbidden', 'http', {}, true);
    }
    const retrieval = req.method === 'GET' && path.startsWith('/r/');
    // What the handset says of itself (read once: a retrieval also adapts for it).
    const hint = req.method === 'POST' || path.startsWith('/r/') ? handsetHintOf(req.headers, this.now()) : undefined;
    // Every request of an identified subscriber (retrieval, m-send-req, m-notifyresp-ind, m-acknowledge-ind...)
    // says what its handset is: remembered, off the request's path.
    if (!('refused' in who) && hint) this.handsets?.noteHint(who.subscriber, hint);
    if (retrieval) return this.retrieve(path.slice(3), who, hint, req, res);
    if (req.method !== 'POST')
      return this.plain(res, req.method === 'GET' ? HTTP_STATUS.NOT_FOUND : HTTP_STATUS.METHOD_NOT_ALLOWED, 'not found', 'http');
    if ('refused' in who) {
      // Refused before reading: an unknown subscriber sends nothing into the store.
      this.logRefusal(req, who);
      return this.refuseRequest(res, new Refusal('improper-identification', 'unknown subscriber'), 'http');
    }
    const subscriber = who.subscriber;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== MMS_MEDIA_TYPE)
      return this.plain(res, REFUSALS['unsupported-media-type'].http, `Content-Type must be ${MMS_MEDIA_TYPE}`, 'http', {}, true);
    const body = await this.readBody(req);
    if (body === undefined) {
      return this.refuseRequest(res, new Refusal('message-too-large', `request body over ${this.o.config.maxBodyBytes} bytes`), 'unparsed');
    }
    let pdu: MmsPdu;
    try {
      pdu = decodePdu(body);
    } catch (err) {
      if (!(err instanceof PduError)) throw err;
      this.o.log.info({ subscriber, code: err.code, detail: err.message }, 'mm1 PDU refused');
      const refusal = new Refusal('format-corrupt', `malformed PDU: ${err.message}`);
      return this.refuseRequest(res, refusal, 'unparsed', salvageTransactionId(body), salvageVersion(body), false);
    }
    switch (pdu.messageType) {
      case 'm-send-req':
        return this.send(pdu, subscriber, res);
      case 'm-notifyresp-ind':
        return this.notifyResp(pdu.transactionId, pdu.status, reportAllowed(pdu), subscriber, res);
      case 'm-acknowledge-ind':
        return this.acknowledge(pdu.transactionId, reportAllowed(pdu), subscriber, res);
      case 'm-read-rec-ind':
        return this.readRec(pdu.messageId, pdu.readStatus, subscriber, res);
      default: {
        const tid = 'transactionId' in pdu && typeof pdu.transactionId === 'string' ? pdu.transactionId : '';
        const refusal = new Refusal('unsupported-operation', `${pdu.messageType} is not a PDU a handset sends to this MMSC`);
        return this.refuseRequest(res, refusal, pdu.messageType, tid, pdu.mmsVersion, false);
      }
    }
  }

  // -- m-send-req --------------------------------------------------------------------------------------------

  private async send(pdu: Extract<MmsPdu, { messageType: 'm-send-req' }>, sender: string, res: ServerResponse): Promise<void> {
    const log = this.o.log.child({ subscriber: sender });
    const { submitRate: rate, submitBurst: burst, submitMaxInFlight: maxInFlight, requestTimeoutMs, maxRecipients } = this.o.config;
    let result: IntakeResult;
    try {
      const recipients = recipientCount(pdu, maxRecipients);
      result = await this.intake.submit({
        from: { kind: 'subscriber', id: sender },
        // The subscriber's submission limit (token bucket and in-flight cap, as for a VASP), held across
        // instances; a rate of 0: none. A message costs one token per recipient, so that a handset fans out
        // no faster than its rate.
        throttle:
          rate === 0 ? undefined : { limits: { rate, burst, maxInFlight }, cost: Math.max(1, recipients), slotMs: requestTimeoutMs },
        // No MM4 yet: another carrier's subscriber cannot be reached, and the sender must know it now.
        unroutable: 'refuse',
        build: (messageId, now) => toCoreMessage(pdu, { sender, messageId, now, config: this.o.config, plan: this.o.plan }),
      });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      log.info({ reason: err.code, detail: err.message }, 'm-send-req refused');
      return this.refuseSend(res, pdu, err);
    }
    if (!result.ok) {
      if (result.recipient) this.o.metrics.mm1Unroutable.inc({ type: result.recipient.type });
      return this.refuseSend(res, pdu, result.refusal);
    }
    const conf: SendConf = {
      messageType: 'm-send-conf',
      transactionId: pdu.transactionId,
      mmsVersion: MMS_VERSION,
      responseStatus: 'Ok',
      messageId: result.messageId,
    };
    this.pdu(res, HTTP_STATUS.OK, encodePdu(conf), 'm-send-req', 'Ok');
  }

  // -- retrieval and its acknowledgements -------------------------------------------------------------------

  private async retrieve(
    token: string,
    who: SubscriberResult,
    hint: HandsetHint | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const target = this.o.tokens.openRetrieval(token);
    if (!target) return this.plain(res, HTTP_STATUS.NOT_FOUND, 'no such message', 'retrieve');
    if ('refused' in who) {
      this.logRefusal(req, who);
      return this.retrieveError(res, UNKNOWN_SUBSCRIBER.http, 'Error-permanent-service-denied', 'unknown subscriber');
    }
    const subscriber = who.subscriber;
    const { messageId, recipientIndex } = target;
    let message: CoreMessage | undefined;
    let states: Awaited<ReturnType<Queue['states']>>;
    let content: Buffer[] | undefined;
    try {
      // One store round trip: the common case is a retrieval that succeeds and needs all three.
      ({ message, states, content } = (await this.o.queue.retrieval(messageId)) ?? {});
    } catch (err) {
      this.o.log.error({ err, messageId }, 'retrieval: store unavailable');
      return this.retrieveError(
        res,
        REFUSALS['store-unavailable'].http,
        'Error-transient-network-problem',
        'the message cannot be fetched now; retry later',
      );
    }
    const state = states?.[recipientIndex];
    if (!message || !content || state === undefined)
      return this.retrieveError(res, MESSAGE_GONE.http, 'Error-permanent-message-not-found', 'the message is no longer available');
    if (message.recipients[recipientIndex]?.address !== subscriber) {
      this.o.log.warn({ messageId, subscriber }, 'retrieval by a subscriber who is not the recipient');
      return this.retrieveError(res, HTTP_STATUS.FORBIDDEN, 'Error-permanent-service-denied', 'this message is for another subscriber');
    }
    // Acknowledged (or ended otherwise) or expired: the copy is gone for the handset (§6.3 Retrieve-Status).
    if (TERMINAL_STATES.has(state) || message.expiresAt <= this.now()) {
      return this.retrieveError(
        res,
        MESSAGE_GONE.http,
        'Error-permanent-message-not-found',
        state === 'expired' || message.expiresAt <= this.now() ? 'the message expired' : 'the message was already retrieved',
      );
    }
    // The content for the handset that asks now (its own x-wap-profile / User-Agent), as adapted for its
    // class: the same record the notification's size came from when the class is the same.
    let adapted: Awaited<ReturnType<RecipientAdapter['content']>>;
    try {
      const caps = await this.o.adapter.capabilities(message, recipientIndex, NOTIFY_PEER, hint);
      const original = content;
      adapted = await this.o.adapter.content(message, recipientIndex, caps, async () => original);
    } catch (err) {
      this.o.log.error({ err, messageId }, 'retrieval: adaptation failed');
      return this.retrieveError(
        res,
        REFUSALS['store-unavailable'].http,
        'Error-transient-network-problem',
        'the message cannot be prepared now; retry later',
      );
    }
    if (!adapted.ok) return this.retrieveError(res, HTTP_STATUS.OK, 'Error-permanent-content-unsupported', adapted.detail);
    const note = adaptedNote(adapted);
    if (note !== undefined) {
      this.adaptedCopies.set(`${messageId}/${recipientIndex}`, note);
      if (this.adaptedCopies.size > ADAPTED_COPIES) this.adaptedCopies.delete(this.adaptedCopies.keys().next().value!);
    }
    const conf = retrieveConfFor(message, adapted.outcome, adapted.content, target.transactionId);
    // The parts go to the socket as they came from the store (one writev), not copied into the PDU first.
    const chunks = encodePduChunks(conf);
    this.o.metrics.mm1Requests.inc({ pdu: 'retrieve', status: 'Ok' });
    let length = 0;
    for (const c of chunks) length += c.length;
    res.writeHead(HTTP_STATUS.OK, { 'content-type': MMS_MEDIA_TYPE, 'content-length': length, 'cache-control': 'no-store' });
    res.cork();
    for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i]);
    res.end(chunks[chunks.length - 1]);
    res.uncork();
  }

  private retrieveError(res: ServerResponse, code: number, status: RetrieveStatus, text: string): void {
    // §6.3: an m-retrieve-conf that carries the failure; Date and Content-Type stay mandatory.
    const pdu = encodePdu({
      messageType: 'm-retrieve-conf',
      mmsVersion: MMS_VERSION,
      date: new Date(this.now()),
      retrieveStatus: status,
      retrieveText: text,
      contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } },
      body: Buffer.from(text, 'utf8'),
    });
    this.pdu(res, code, pdu, 'retrieve', status);
  }

  /** m-notifyresp-ind (§6.2): the handset's answer to a notification (immediate retrieval, or deferred, rejected...). */
  private async notifyResp(
    transactionId: string,
    status: MmsPdu['status'],
    report: boolean,
    subscriber: string,
    res: ServerResponse,
  ): Promise<void> {
    const copy = await this.copyFor(transactionId, subscriber, res, 'm-notifyresp-ind');
    if (!copy) return;
    const { messageId, recipientIndex } = copy;
    switch (status) {
      case 'Retrieved':
        await this.complete(messageId, recipientIndex, 'delivered', 'retrieved (m-notifyresp-ind Retrieved)', report);
        break;
      case 'Rejected':
        await this.complete(messageId, recipientIndex, 'rejected', 'rejected by the recipient (m-notifyresp-ind Rejected)', report);
        break;
      case 'Unrecognised':
        await this.complete(
          messageId,
          recipientIndex,
          'rejected',
          'notification not recognised by the handset (m-notifyresp-ind Unrecognised)',
          report,
        );
        break;
      default:
        // Deferred (§7.3.54): the user retrieves later; the job waits (and is re-notified) as before.
        await this.o.queue.note(messageId, recipientIndex, `m-notifyresp-ind ${String(status)}`);
    }
    this.empty(res, 'm-notifyresp-ind');
  }

  /** m-acknowledge-ind (§6.4): the handset has the message; the copy is done. */
  private async acknowledge(transactionId: string, report: boolean, subscriber: string, res: ServerResponse): Promise<void> {
    const copy = await this.copyFor(transactionId, subscriber, res, 'm-acknowledge-ind');
    if (!copy) return;
    await this.complete(copy.messageId, copy.recipientIndex, 'delivered', 'retrieved and acknowledged (m-acknowledge-ind)', report);
    this.empty(res, 'm-acknowledge-ind');
  }

  /** The recipient copy a transaction id (a retrieval token) names, checked against the subscriber. */
  private async copyFor(
    transactionId: string,
    subscriber: string,
    res: ServerResponse,
    pdu: string,
  ): Promise<{ messageId: string; recipientIndex: number } | undefined> {
    const target = this.o.tokens.openTransaction(transactionId);
    if (!target) {
      this.plain(res, HTTP_STATUS.NOT_FOUND, 'unknown transaction', pdu);
      return undefined;
    }
    const message = await this.o.queue.message(target.messageId);
    if (!message) {
      this.plain(res, MESSAGE_GONE.http, 'the message is no longer available', pdu);
      return undefined;
    }
    // The Transaction-ID carries no MAC: only the recipient the operator's gateway names may answer for it.
    if (message.recipients[target.recipientIndex]?.address !== subscriber) {
      this.o.log.warn({ messageId: target.messageId, subscriber, pdu }, 'answer for a copy of another subscriber refused');
      this.plain(res, HTTP_STATUS.FORBIDDEN, 'this message is for another subscriber', pdu);
      return undefined;
    }
    return target;
  }

  /** Ends the copy; `report` false: the recipient allows no delivery report to the originator (reportAllowed). */
  private async complete(
    messageId: string,
    recipientIndex: number,
    state: 'delivered' | 'rejected',
    detail: string,
    report: boolean,
  ): Promise<void> {
    const key = `${messageId}/${recipientIndex}`;
    const adapted = state === 'delivered' ? this.adaptedCopies.get(key) : undefined;
    this.adaptedCopies.delete(key);
    const full = adapted === undefined ? detail : `${detail}; ${adapted}`;
    const r = await this.o.queue.complete(
      messageId,
      recipientIndex,
      state,
      report ? full : `${full}; no delivery report (Report-Allowed: No)`,
      { report },
    );
    if (r === 'completed') this.o.onFinal?.();
    this.o.log.info({ messageId, recipient: recipientIndex, state, result: r, report }, detail);
  }

  /** m-read-rec-ind (§6.7.1): the recipient read the message (or deleted it unread); a read report goes back. */
  private async readRec(messageId: string, readStatus: MmsPdu['readStatus'], subscriber: string, res: ServerResponse): Promise<void> {
    const original = await this.o.queue.message(messageId);
    if (!original) {
      // Past retention: nothing to report back to; the handset is not to blame.
      this.o.log.info({ messageId }, 'read report on an unknown message dropped');
      return this.empty(res, 'm-read-rec-ind');
    }
    const index = original.recipients.findIndex((r) => r.address === subscriber);
    if (index < 0) {
      this.o.log.info({ messageId, subscriber }, 'read report from a subscriber who is not a recipient refused');
      return this.plain(res, HTTP_STATUS.FORBIDDEN, 'only a recipient can send a read report', 'm-read-rec-ind');
    }
    const sent = await this.o.reports.read(original, index, readStatus === 'Deleted-without-being-read' ? 'deleted' : 'read');
    this.o.log.info({ messageId, recipient: index, sent }, 'read report');
    this.empty(res, 'm-read-rec-ind');
  }

  // -- plumbing ----------------------------------------------------------------------------------------------

  /** The subscriber the request comes from: the header, when the source is one of the operator's gateways. */
  private async identify(req: IncomingMessage): Promise<SubscriberResult> {
    if (!this.trusted.has(req.socket.remoteAddress))
      return { refused: 'untrusted-source', detail: 'the source is not in mm1.trustedProxies' };
    const raw = req.headers[this.o.config.msisdnHeader.toLowerCase()];
    const who = this.o.plan.subscriber(Array.isArray(raw) ? raw.join(', ') : raw);
    // Ported in from another carrier's range: ours although mm1.localPrefixes do not say so (the lookup is
    // cached and bounded in time; a failure leaves the prefixes' answer).
    if ('refused' in who && who.refused === 'not-local' && who.e164 !== undefined && this.o.portability) {
      const answer = await this.o.portability.lookup(who.e164).catch(() => undefined);
      if (answer?.network === HOME_NETWORK) return { subscriber: who.e164 };
    }
    return who;
  }

  /**
   * The log line of a 403 for the subscriber header: why, and from where (never the header's value). An
   * untrusted source is a spoof or a gateway missing from mm1.trustedProxies: the operator must see it (warn),
   * once a minute per source; the refusals between two lines are in the next one's `suppressed` (and each
   * one in mmsc_mm1_requests_total).
   */
  private logRefusal(req: IncomingMessage, r: Extract<SubscriberResult, { refused: unknown }>): void {
    const from = req.socket.remoteAddress;
    const fields = { reason: r.refused, detail: r.detail, from, method: req.method, header: this.o.config.msisdnHeader };
    if (r.refused !== 'untrusted-source') return this.o.log.info(fields, 'mm1 request refused: no subscriber');
    const line = this.untrustedLog.note(from ?? '');
    if (line)
      this.o.log.warn(line.suppressed > 0 ? { ...fields, suppressed: line.suppressed } : fields, 'mm1 request refused: no subscriber');
  }

  /** The body, or undefined once it passes maxBodyBytes (reading stops there: the connection is closed). */
  private async readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const max = this.o.config.maxBodyBytes;
    if (Number(req.headers['content-length'] ?? 0) > max) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req.iterator({ destroyOnReturn: false })) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > max) return undefined;
      chunks.push(b);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  }

  /**
   * A refusal of an m-send-req the PDU was read of: an m-send-conf with HTTP 200 (OMA-TS-MMS_CTR §7: the
   * status travels in the PDU), in the version the handset spoke.
   */
  private refuseSend(res: ServerResponse, pdu: Extract<MmsPdu, { messageType: 'm-send-req' }>, refusal: Refusal): void {
    this.conf(res, HTTP_STATUS.OK, pdu.transactionId, refusal, pdu.mmsVersion, 'm-send-req');
  }

  /**
   * A refusal of a request before (or without) a PDU to answer: the entry's HTTP status, and an m-send-conf
   * the handset can show (in 1.0 form when the version could not be read). `close`: the body was not read.
   */
  private refuseRequest(
    res: ServerResponse,
    refusal: Refusal,
    label: string,
    transactionId = '',
    version: string | undefined = undefined,
    close = true,
  ): void {
    this.conf(res, refusal.entry.http, transactionId, refusal, version, label, close);
  }

  private conf(
    res: ServerResponse,
    code: number,
    transactionId: string,
    refusal: Refusal,
    version: string | undefined,
    label: string,
    close = false,
  ): void {
    const status = responseStatus(refusal.code, version);
    const conf: SendConf = {
      messageType: 'm-send-conf',
      transactionId,
      mmsVersion: MMS_VERSION,
      responseStatus: status,
      responseText: refusal.message,
    };
    this.pdu(res, code, encodePdu(conf), label, status, close);
  }

  private pdu(res: ServerResponse, code: number, body: Buffer, label: string, status: string, close = false): void {
    this.o.metrics.mm1Requests.inc({ pdu: label, status });
    const headers: Record<string, string | number> = {
      'content-type': MMS_MEDIA_TYPE,
      'content-length': body.length,
      'cache-control': 'no-store',
    };
    if (close) headers.connection = 'close';
    res.writeHead(code, headers).end(body);
    if (close) res.once('finish', () => res.req.destroy());
  }

  private empty(res: ServerResponse, label: string): void {
    this.o.metrics.mm1Requests.inc({ pdu: label, status: String(HTTP_STATUS.NO_CONTENT) });
    res.writeHead(HTTP_STATUS.NO_CONTENT).end();
  }

  private plain(res: ServerResponse, code: number, text: string, label: string, headers: Record<string, string> = {}, close = false): void {
    this.o.metrics.mm1Requests.inc({ pdu: label, status: String(code) });
    res
      .writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...(close ? { connection: 'close' } : {}), ...headers })
      .end(`${text}\n`);
    if (close) res.once('finish', () => res.req.destroy());
  }
}

/** The path of a public URL without its trailing slash ('' for the root, e.g. '/mms'). */
export function basePathOf(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/$/, '');
}

/** The request's path without its query, and without the public URL's base path when the proxy passed it on. */
export function requestPath(req: IncomingMessage, basePath: string): string {
  const path = (req.url ?? '/').split('?')[0]!;
  return basePath !== '' && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path;
}

/** The Transaction-ID of a PDU too broken to decode, when it is where §6 puts it (third field, 0x98). */
function salvageTransactionId(b: Buffer): string {
  if (b.length < 4 || b[0] !== 0x8c || b[2] !== 0x98) return '';
  const end = b.indexOf(0, 3);
  if (end < 0 || end - 3 > 100) return '';
  const t = b.subarray(3, end).toString('latin1');
  return /^[\x20-\x7e]*$/.test(t) ? t : '';
}

/** The X-Mms-MMS-Version (0x8D) of a broken PDU, when it follows the Transaction-ID as §6 orders them. */
function salvageVersion(b: Buffer): string | undefined {
  const at = b.indexOf(0x8d, 2);
  if (at < 0 || at > 120 || at + 1 >= b.length) return undefined;
  const v = b[at + 1]!;
  return v >= 0x80 ? `${(v & 0x70) >> 4}.${v & 0x0f}` : undefined;
}

/**
 * OMA-TS-MMS_ENC §6.2, §6.4: the handset's X-Mms-Report-Allowed in m-notifyresp-ind / m-acknowledge-ind says
 * whether the recipient lets the originator have a delivery report; absent means Yes.
 */
function reportAllowed(pdu: MmsPdu): boolean {
  return pdu.reportAllowed !== 'No';
}
