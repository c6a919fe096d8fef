import type { IntakeContentCheck } from '../core/content-check.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  MimeError,
  parseContentType,
  parseMultipart,
  parseSinglePart,
  startPart,
  type ContentType,
  type MimeEntity,
} from '../../protocols/mime/index.js';
import {
  buildMm7,
  DEFAULT_LIMITS,
  MM7_CODE,
  Mm7Error,
  namespaceFor,
  parseMm7,
  type Mm7Limits,
  type Mm7Message,
  type Mm7StatusCode,
} from '../../protocols/mm7/index.js';
import { Intake, type IntakeOptions, type IntakeScreen } from '../core/intake.js';
import type { Router } from '../core/router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { OutboundGuard } from '../transport/outbound-guard.js';
import { newMessageId } from '../core/message-id.js';
import { REFUSALS, Refusal, type RefusalCode } from '../core/refusals.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { IdempotencyStore, Queue, Throttle } from '../core/ports.js';
import { Admission, type AdmissionRefusal, type BodyTicket } from './admission.js';
import { cancel, replace, type Answer } from './cancel-replace.js';
import { ContentStreamer } from './content-streamer.js';
import { RestApi } from '../rest/api.js';
import type { RestAuth } from '../rest/route.js';
import type { RestServices } from '../rest/services.js';
import { toSubmission, type SubmitContext } from './submit.js';
import { SubmitRetries, type SubmitClaim } from './submit-retry.js';
import { VaspDirectory, vaspIntake } from '../vasp/accounts.js';
import { closeHttp, createEdgeServer, listenHttp } from '../transport/http-listen.js';
import { type ListenerTls, reloadHttpTls } from '../transport/http-tls.js';

export interface Mm7ServerOptions {
  config: Config['mm7'];
  queue: Queue;
  throttle: Throttle;
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** Checks REST callbackUrls at submission; default: the default policy (public unicast only, no allow ranges). */
  guard?: OutboundGuard;
  /** Where SubmitReq TransactionIDs are recorded, so that a VASP's retry is recognised (none: it is not). */
  idempotency?: IdempotencyStore;
  /** The sender's API's services (src/rest/services.ts), for the REST API on this listener. */
  restServices?: RestServices;
  now?: () => number;
  /** Every part's bytes checked against its declared type and content.allowedTypes (issue 25); none: not checked. */
  contentCheck?: IntakeContentCheck | undefined;
  /** Checks every VASP submission (MM7 and REST) before it is stored: the consent registry (issue 24, core/consent.ts). */
  screen?: IntakeScreen;
}

/**
 * The MM7 server (3GPP TS 23.140 §8.7, SOAP 1.1 with attachments over HTTP POST). A request is read
 * through the MIME parser with the body limit enforced while streaming, its SOAP envelope parsed into the
 * typed model, checked against the VASP's account, and a SubmitReq answered 1000 only once the message is
 * in the queue. Every answer to a SOAP request is SOAP with HTTP 200, errors included: HTTP 4xx/5xx are
 * for requests that are not SOAP at all (wrong method, no credentials, another media type), because VASP
 * clients take any 5xx for a transport failure and send the same malformed request again.
 */
export class Mm7Server {
  private readonly server: Server;
  private vasps: VaspDirectory;
  private readonly intake: Intake;
  private readonly rest: RestApi;
  private readonly retries: SubmitRetries | undefined;
  private readonly admission: Admission;
  /** The SOAP envelope's limits (bytes, elements, attributes, tokens): what one request may cost to parse. */
  private readonly xml: Required<Mm7Limits>;

  constructor(private readonly o: Mm7ServerOptions) {
    this.vasps = new VaspDirectory(o.config.vasps, o.config.trustedProxies);
    if (o.idempotency && o.config.submitRetryWindowMs > 0)
      this.retries = new SubmitRetries({ store: o.idempotency, windowMs: o.config.submitRetryWindowMs });
    this.admission = new Admission(o.config.maxInFlightBodyBytes, (requests, bytes) => {
      o.metrics.mm7InFlightRequests.set(requests);
      o.metrics.mm7InFlightBodyBytes.set(bytes);
    });
    const { maxEnvelopeBytes: maxBytes, maxElements, maxAttributes, maxXmlTokens: maxTokens } = o.config;
    this.xml = { ...DEFAULT_LIMITS, maxBytes, maxElements, maxAttributes, maxTokens };
    const intake: IntakeOptions = { queue: o.queue, throttle: o.throttle, router: o.router, log: o.log };
    if (o.now) intake.now = o.now;
    if (o.contentCheck) intake.content = o.contentCheck;
    if (o.screen) intake.screen = o.screen;
    this.intake = new Intake(intake);
    this.rest = new RestApi({
      config: o.config,
      queue: o.queue,
      intake: this.intake,
      metrics: o.metrics,
      log: o.log.child({ api: 'rest' }),
      guard: o.guard ?? new OutboundGuard(),
      ...o.restServices,
      // issue 24: the REST API's clock is the listener's (sendAt, Idempotency-Key records)
      ...(o.now && !o.restServices?.now ? { now: o.now } : {}),
    });
    this.server = createEdgeServer(
      {
        requestTimeoutMs: o.config.requestTimeoutMs,
        headersTimeoutMs: o.config.headersTimeoutMs,
        log: o.log,
        what: 'mm7',
        tls: this.tls,
        failed: (res) => this.plain(res, HTTP_STATUS.INTERNAL_SERVER_ERROR, 'internal error', 'http'),
      },
      (req, res) => this.handle(req, res),
    );
  }

  /**
   * The VASP accounts from now on (a reload: credentials, allowed addresses, rates, limits); requests in
   * progress finish under the account they were admitted with. Throws (nothing changed) on a duplicate id.
   */
  setVasps(vasps: readonly VaspConfig[]): void {
    this.vasps = new VaspDirectory(vasps, this.o.config.trustedProxies);
  }

  listen(host: string, port: number): Promise<string> {
    return listenHttp(this.server, host, port);
  }

  /** mm7.tls's files read again for new connections (SIGHUP); a ConfigError leaves the ones in use. */
  reloadTls(): void {
    if (this.tls) reloadHttpTls(this.server, this.tls);
  }

  private get tls(): ListenerTls | undefined {
    return this.o.config.tls ? { key: 'mm7.tls', config: this.o.config.tls } : undefined;
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private plain(res: ServerResponse, code: number, text: string, operation: string, headers: Record<string, string> = {}): void {
    this.o.metrics.mm7Requests.inc({ operation, status: String(code) });
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
  }

  private soap(res: ServerResponse, msg: Mm7Message, operation: string, status: number, close = false): void {
    this.o.metrics.mm7Requests.inc({ operation, status: String(status) });
    const body = Buffer.from(buildMm7(msg), 'utf8');
    const headers: Record<string, string | number> = { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length };
    if (close) headers.connection = 'close';
    res.writeHead(HTTP_STATUS.OK, headers).end(body);
    // Whatever the parser left unread is discarded, not buffered (bounded by the request timeout).
    res.req.resume();
  }

  /** A request refused before its envelope was read: an RSErrorRsp in the namespace `ns`, with the entry's code. */
  private refuse(res: ServerResponse, ns: Namespace, refusal: Refusal, close = false): void {
    return this.soap(res, errorRsp(ns, '', refusal.entry.mm7, refusal.message), 'unparsed', refusal.entry.mm7, close);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The REST API (/v1/...) shares the listener, the VASP accounts and the intake with MM7.
    const rest = (req.url ?? '/').startsWith('/v1/');
    // -- issue 24: GET /v1/openapi.json is public (the API's description), answered before authentication
    if (rest && this.rest.isPublic(req)) return this.rest.handlePublic(req, res);
    if (!rest && req.method !== 'POST')
      return this.plain(res, HTTP_STATUS.METHOD_NOT_ALLOWED, 'MM7 takes POST only', 'http', { allow: 'POST' });
    const auth = await this.vasps.authenticate(req, rest ? 'rest' : 'mm7');
    if (!auth.ok) {
      this.o.log.info({ reason: auth.reason, from: auth.client }, 'mm7 request refused');
      return this.plain(
        res,
        auth.status,
        auth.reason,
        rest ? 'rest' : 'http',
        auth.status === HTTP_STATUS.UNAUTHORIZED ? { 'www-authenticate': auth.challenge ?? 'Basic realm="MM7"' } : {},
      );
    }
    const vasp = auth.vasp;
    // -- issue 24: an API key's last-used time (at most a write a minute per key; never waited for)
    if (auth.key !== undefined) this.o.restServices?.apiKeyUsage?.used(vasp.id, auth.key);
    const restAuth: RestAuth =
      auth.key !== undefined ? { by: auth.by, scope: auth.scope, key: auth.key } : { by: auth.by, scope: auth.scope };
    // No body to admit (GET, DELETE).
    if (rest && req.method !== 'POST' && req.method !== 'PUT') return this.rest.handle(req, res, vasp, undefined, restAuth);
    const maxBody = this.o.config.maxBodyBytes;
    const declared = contentLength(req);
    if (!rest && declared !== undefined && declared > maxBody) {
      // Answered before reading: the connection is closed after the answer (the body is not drained).
      const refusal = new Refusal('message-too-large', `request of ${declared} bytes is over the limit of ${maxBody} bytes`);
      return this.refuse(res, namespaceFor(vasp.version), refusal, true);
    }
    // The account's concurrency and the listener's body budget, before a byte of the body is read.
    const admitted = this.admission.admit(vasp, declared === undefined ? undefined : Math.min(declared, maxBody));
    if (!admitted.ok) return this.busy(req, res, vasp, rest, admitted);
    try {
      if (rest) return await this.rest.handle(req, res, vasp, admitted.ticket, restAuth);
      return await this.mm7(req, res, vasp, admitted.ticket);
    } finally {
      admitted.ticket.release();
    }
  }

  /**
   * A request over an admission limit: answered at once and transiently, without reading its body (the
   * connection is closed): throttled for the account's own limit, overloaded for the listener's (both MM7 4006
   * Service unavailable, TS 23.140 §8.7.4: the VASP retries later; REST 429 and 503).
   */
  private busy(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, rest: boolean, why: AdmissionRefusal): void {
    this.o.log.info({ vasp: vasp.id, reason: why.reason, detail: why.text }, 'mm7 request refused before its body was read');
    if (rest) return this.rest.busy(req, res, vasp, why);
    return this.refuse(res, namespaceFor(vasp.version), new Refusal(admissionRefusal(why), why.text), true);
  }

  /** An admitted MM7 request. */
  private async mm7(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, ticket: BodyTicket): Promise<void> {
    let type: ContentType;
    try {
      type = parseContentType(req.headers['content-type'] ?? '');
    } catch {
      return this.plain(res, UNSUPPORTED_TYPE, 'Content-Type must be text/xml or multipart/related (SOAP with attachments)', 'http');
    }
    const soapTypes = ['text/xml', 'application/soap+xml', 'multipart/related', 'multipart/mixed'];
    if (!soapTypes.includes(type.type)) return this.plain(res, UNSUPPORTED_TYPE, `Content-Type ${type.type} is not SOAP`, 'http');
    // The VASP's configured version answers when the request's own cannot be read.
    const fallback = namespaceFor(vasp.version);
    // A body that is the SOAP envelope alone is bounded by the envelope's limit.
    const single = !type.type.startsWith('multipart/');
    const maxBytes = single ? Math.min(this.o.config.maxBodyBytes, this.xml.maxBytes) : this.o.config.maxBodyBytes;
    const declared = contentLength(req);
    if (single && declared !== undefined && declared > maxBytes) {
      const refusal = new Refusal('validation-error', `SOAP envelope of ${declared} bytes is over the limit of ${maxBytes} bytes`);
      return this.refuse(res, fallback, refusal, true);
    }

    // 1. The MIME envelope (bounded while streaming) and the SOAP part. A SubmitReq's content is streamed
    // into the store as it arrives, whichever side of the SOAP part it comes (see ContentStreamer).
    const now = (this.o.now ?? Date.now)();
    const streamer = new ContentStreamer({
      queue: this.o.queue,
      vasp,
      messageId: newMessageId(now),
      earlyMessageId: newMessageId(now),
      ttlMs: 2 * this.o.config.requestTimeoutMs + 60_000,
      xml: this.xml,
      ...(this.retries ? { retries: this.retries } : {}),
    });
    try {
      return await this.receive(req, res, vasp, type, fallback, { maxBytes }, streamer, ticket);
    } finally {
      // A SubmitReq that recorded its TransactionID and was not stored gives the record back: a retry then
      // starts afresh (SubmitRetries.release).
      const retries = this.retries;
      if (!streamer.accepted && streamer.claim && retries) {
        await streamer.claim.then(
          (c) =>
            retries
              .release(c)
              .catch((err: unknown) =>
                this.o.log.warn({ err, vasp: vasp.id }, 'mm7 SubmitReq: its TransactionID record was not released (it expires)'),
              ),
          () => undefined, // no record was made
        );
      }
      // Every stage but the one a SubmitReq enqueued or a ReplaceReq took is discarded.
      await streamer.release();
    }
  }

  private async receive(
    req: IncomingMessage,
    res: ServerResponse,
    vasp: VaspConfig,
    type: ContentType,
    fallback: Namespace,
    limits: { maxBytes: number },
    streamer: ContentStreamer,
    ticket: BodyTicket,
  ): Promise<void> {
    const log = this.o.log.child({ vasp: vasp.id });
    let root: MimeEntity | undefined;
    let soapPart: MimeEntity | undefined;
    let bytes = 0;
    const counted = countBytes(req, (n) => {
      bytes += n;
      this.o.metrics.mm7RequestBytes.inc(n);
      // A chunked body is admitted as it grows: over the listener's budget, the rest is not read.
      if (!ticket.take(n)) throw new OverBudget();
    });
    try {
      if (type.type.startsWith('multipart/')) {
        root = await parseMultipart(counted, type, limits, streamer.options);
        streamer.settle();
        soapPart = startPart(root);
      } else {
        soapPart = await parseSinglePart(counted, type, undefined, limits);
      }
    } catch (err) {
      if (err instanceof OverBudget) {
        const why = this.admission.refusal();
        log.info({ reason: why.reason, bytes }, 'mm7 request refused while its body arrived');
        return this.refuse(res, fallback, new Refusal(admissionRefusal(why), why.text), true);
      }
      if (streamer.refusal) {
        // Decided while streaming (the SOAP part over its limit): the rest of the body is not read.
        log.info({ code: streamer.refusal.code, detail: streamer.refusal.detail }, 'mm7 envelope refused');
        return this.soap(
          res,
          errorRsp(fallback, '', streamer.refusal.status, streamer.refusal.detail),
          'unparsed',
          streamer.refusal.status,
          true,
        );
      }
      if (streamer.failed(err)) {
        // The store failed while the content was being written: nothing is accepted; the VASP retries.
        log.error({ err }, 'mm7 content could not be stored');
        return this.refuse(res, fallback, new Refusal('store-unavailable'), true);
      }
      if (!(err instanceof MimeError)) throw err;
      const tooLarge = err.code === 'TOO_LARGE';
      if (tooLarge && !type.type.startsWith('multipart/') && limits.maxBytes < this.o.config.maxBodyBytes) {
        // A single-part body is the envelope: over the envelope's limit, not the body's.
        return this.refuse(res, fallback, new Refusal('validation-error', `SOAP envelope over ${limits.maxBytes} bytes`), true);
      }
      log.info({ code: err.code, bytes }, 'mm7 request body refused');
      const code: RefusalCode = tooLarge ? 'message-too-large' : 'format-corrupt';
      return this.refuse(
        res,
        fallback,
        new Refusal(code, `${tooLarge ? 'request too large' : 'malformed MIME body'}: ${err.message}`),
        tooLarge,
      );
    }
    if (!soapPart?.body) return this.refuse(res, fallback, new Refusal('format-corrupt', 'no SOAP envelope in the request'));
    // startPart falls back to the first part when `start` names none (liberal: some VASPs get the id wrong);
    // that part must then still be XML, or the SOAP part is missing.
    if (root && !XML_TYPES.has(soapPart.contentType.type)) {
      const start = root.contentType.params['start'] ?? '(none)';
      const why = `no SOAP envelope: start ${start} names no XML part (found ${soapPart.contentType.type})`;
      return this.refuse(res, fallback, new Refusal('format-corrupt', why));
    }

    // 2. The SOAP envelope.
    let msg: Mm7Message;
    try {
      // Parsed already when the content was streamed (the same part, read once).
      msg = streamer.envelopeOf(soapPart) ?? parseMm7(soapPart.body, this.xml);
    } catch (err) {
      if (!(err instanceof Mm7Error)) throw err;
      log.info({ code: err.code, detail: err.message }, 'mm7 envelope refused');
      const ns = err.namespace ? { namespace: err.namespace, mm7Version: fallback.mm7Version } : fallback;
      return this.soap(res, errorRsp(ns, err.transactionId ?? '', err.status, err.message), 'unparsed', err.status);
    }

    // 3. The operation.
    const reply = { transactionId: msg.transactionId, namespace: msg.namespace, mm7Version: msg.mm7Version };
    const misplaced = streamer.misplaced(msg, root);
    if (misplaced) {
      const { mm7 } = REFUSALS['format-corrupt'];
      return this.soap(res, errorRsp(reply, msg.transactionId, mm7, misplaced), msg.kind, mm7);
    }
    if (msg.kind === 'CancelReq' || msg.kind === 'ReplaceReq') {
      const kind = msg.kind === 'CancelReq' ? 'CancelRsp' : 'ReplaceRsp';
      let answer: Answer;
      try {
        answer =
          msg.kind === 'CancelReq'
            ? await cancel(this.o.queue, vasp, msg)
            : await replace(
                this.o.queue,
                vasp,
                msg,
                root,
                (this.o.now ?? Date.now)(),
                streamer.stageFor(msg, root),
                this.o.contentCheck ? { content: this.o.contentCheck, log: this.o.log } : undefined,
              );
        if (msg.kind === 'ReplaceReq' && answer.code === MM7_CODE.SUCCESS) streamer.accepted = true;
      } catch (err) {
        let refusal: Refusal;
        if (err instanceof Refusal) refusal = err;
        else {
          // The store is unreachable: a transient server-side refusal; the VASP retries.
          log.error({ err }, `mm7 ${msg.kind} failed`);
          refusal = new Refusal('store-unavailable', 'the request could not be carried out now; retry later');
        }
        answer = { code: refusal.entry.mm7, text: refusal.message };
      }
      log.info(
        { messageId: msg.messageId, status: answer.code, ...(answer.sanitised?.length ? { sanitised: answer.sanitised } : {}) },
        `mm7 ${msg.kind}`,
      );
      return this.soap(res, { kind, ...reply, status: answer }, msg.kind, answer.code);
    }
    if (msg.kind !== 'SubmitReq') {
      // DeliverReq, DeliveryReportReq, ReadReplyReq go from the MMSC to a VASP, not back; responses are not requests.
      const { mm7 } = REFUSALS['unsupported-operation'];
      return this.soap(
        res,
        errorRsp(reply, msg.transactionId, mm7, `${msg.kind} is not an operation a VASP sends to this MMSC`),
        msg.kind,
        mm7,
      );
    }
    const stage = streamer.stageFor(msg, root);
    // A VASP's retry of a SubmitReq (same TransactionID, same request, within the window) is stored under the
    // first one's Message-ID (SubmitRetries): answered at once when that message is stored.
    let claim: SubmitClaim = { messageId: streamer.messageId, retry: false };
    try {
      // Claimed already when its content began to stream after the envelope (the stage waits for the claim).
      if (this.retries) claim = await (streamer.claim ??= this.retries.claim(vasp.id, msg, streamer.messageId));
      if (claim.retry && (await this.o.queue.message(claim.messageId))) {
        log.info(
          { messageId: claim.messageId, transactionId: msg.transactionId },
          'mm7 SubmitReq retried: answered with the first MessageID',
        );
        return this.submitRsp(res, reply, { code: MM7_CODE.SUCCESS, text: 'Success' }, claim.messageId);
      }
      if (claim.retry && stage && stage.messageId !== claim.messageId) {
        // Content sent before the envelope was staged under an id of its own, before the TransactionID could
        // be read; the first copy of this request is not stored (yet): it cannot be stored again under its id.
        log.info(
          { messageId: claim.messageId, transactionId: msg.transactionId },
          'mm7 SubmitReq retried while its first copy is not stored: refused, store-unavailable',
        );
        return this.submitRefused(
          res,
          reply,
          new Refusal('store-unavailable', 'the first copy of this request is not stored yet; retry later'),
        );
      }
    } catch (err) {
      log.error({ err }, 'mm7 SubmitReq: its TransactionID could not be checked');
      return this.submitRefused(res, reply, new Refusal('store-unavailable'));
    }
    if (claim.retry)
      log.info(
        { messageId: claim.messageId, transactionId: msg.transactionId },
        'mm7 SubmitReq retried before the first was stored: stored under its MessageID',
      );
    const result = await this.intake.submit({
      ...vaspIntake(vasp, this.o.config.requestTimeoutMs),
      messageId: claim.messageId,
      // toSubmission's checks refuse the request itself (a Refusal), within the VASP's slot: nothing is stored.
      build: (messageId, now) => {
        const { defaultExpiryMs, maxExpiryMs, maxRecipients } = this.o.config;
        const ctx: SubmitContext = { vasp, messageId, now, defaultExpiryMs, maxExpiryMs, maxRecipients };
        if (stage) ctx.stage = stage;
        return toSubmission(msg, root, ctx);
      },
    });
    if (!result.ok) return this.submitRefused(res, reply, result.refusal);
    streamer.accepted = true;
    log.debug({ messageId: result.messageId, bytes }, 'mm7 SubmitReq accepted');
    return this.submitRsp(res, reply, { code: MM7_CODE.SUCCESS, text: 'Success' }, result.messageId);
  }

  private submitRefused(res: ServerResponse, reply: Reply, refusal: Refusal): void {
    return this.submitRsp(res, reply, { code: refusal.entry.mm7, text: refusal.message });
  }

  private submitRsp(res: ServerResponse, reply: Reply, status: { code: Mm7StatusCode; text: string }, messageId?: string): void {
    const rsp: Mm7Message = { kind: 'SubmitRsp', ...reply, status, ...(messageId !== undefined ? { messageId } : {}) };
    return this.soap(res, rsp, 'SubmitReq', status.code);
  }
}

/** The namespace and version an answer is written in. */
type Namespace = { namespace: string; mm7Version: string };
/** What a SubmitRsp repeats of its request. */
type Reply = Namespace & { transactionId: string };

/** A request that is not SOAP at all is answered at the HTTP level (see Mm7Server). */
const UNSUPPORTED_TYPE = REFUSALS['unsupported-media-type'].http;

/** The refusal of a request over an admission limit: the account's own (throttled) or the listener's. */
function admissionRefusal(why: AdmissionRefusal): RefusalCode {
  return why.reason === 'vasp-in-flight' ? 'throttled' : 'overloaded';
}

/** Media types a SOAP 1.1 envelope travels as (text/xml; application/xml and SOAP 1.2's from confused stacks). */
const XML_TYPES = new Set(['text/xml', 'application/xml', 'application/soap+xml']);

/** An RSErrorRsp in the given namespace (§8.7.x: the MMSC's answer to a request it could not process). */
function errorRsp(ns: Namespace, transactionId: string, code: Mm7StatusCode, text: string): Mm7Message {
  return { kind: 'RSErrorRsp', transactionId, namespace: ns.namespace, mm7Version: ns.mm7Version, status: { code, text } };
}

/** The listener's body budget ran out while a chunked body arrived (see Admission). */
class OverBudget extends Error {
  override readonly name = 'OverBudget';
}

/** The declared Content-Length, undefined for a chunked body (or a value that is not a length). */
function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The request body as an async iterable that reports each chunk's size (`count` may throw to stop reading). */
async function* countBytes(req: IncomingMessage, count: (n: number) => void): AsyncIterable<Buffer> {
  // destroyOnReturn false: when the parser stops early (over the limit), the socket must live on to carry
  // the answer; the rest of the body is then discarded (req.resume()) within the request timeout.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const b = chunk as Buffer;
    count(b.length);
    yield b;
  }
}
