import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { findPart, hrefMatch, MimeError, parseContentType, parseMultipart, parseSinglePart, startPart, stripAngles, type ContentType, type MimeEntity, type PartSink, type StreamOptions } from '../../protocols/mime/index.js';
import { buildMm7, Mm7Error, namespaceFor, parseMm7, type Mm7Message, type ReplaceReq, type SubmitReq } from '../../protocols/mm7/index.js';
import type { Router } from '../core/router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { OutboundGuard } from '../transport/outbound-guard.js';
import { newMessageId } from '../core/message-id.js';
import type { ContentStage, IdempotencyStore, Queue, Throttle } from '../store/types.js';
import { cancel, replace, type Answer } from './cancel-replace.js';
import { HeldStage } from './held-stage.js';
import { Intake, type IntakeOptions } from './intake.js';
import { Mm7Refusal } from './refusal.js';
import { RestApi } from './rest.js';
import { toSubmission, type SubmitContext } from './submit.js';
import { SubmitRetries, type SubmitClaim } from './submit-retry.js';
import { VaspDirectory } from './vasps.js';
import { closeHttp, createEdgeServer, listenHttp } from '../ops/http-listen.js';

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
  now?: () => number;
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
  private readonly vasps: VaspDirectory;
  private readonly intake: Intake;
  private readonly rest: RestApi;
  private readonly retries: SubmitRetries | undefined;

  constructor(private readonly o: Mm7ServerOptions) {
    this.vasps = new VaspDirectory(o.config.vasps);
    if (o.idempotency && o.config.submitRetryWindowMs > 0) this.retries = new SubmitRetries({ store: o.idempotency, windowMs: o.config.submitRetryWindowMs });
    const intake: IntakeOptions = { queue: o.queue, throttle: o.throttle, router: o.router, log: o.log, slotMs: o.config.requestTimeoutMs };
    if (o.now) intake.now = o.now;
    this.intake = new Intake(intake);
    this.rest = new RestApi({ config: o.config, queue: o.queue, intake: this.intake, metrics: o.metrics, log: o.log.child({ api: 'rest' }), guard: o.guard ?? new OutboundGuard() });
    this.server = createEdgeServer(
      { requestTimeoutMs: o.config.requestTimeoutMs, headersTimeoutMs: o.config.headersTimeoutMs, log: o.log, what: 'mm7', failed: (res) => this.plain(res, 500, 'internal error', 'http') },
      (req, res) => this.handle(req, res),
    );
  }

  listen(host: string, port: number): Promise<string> {
    return listenHttp(this.server, host, port);
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
    res.writeHead(200, headers).end(body);
    // Whatever the parser left unread is discarded, not buffered (bounded by the request timeout).
    res.req.resume();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The REST API (/v1/...) shares the listener, the VASP accounts and the intake with MM7.
    const rest = (req.url ?? '/').startsWith('/v1/');
    if (!rest && req.method !== 'POST') return this.plain(res, 405, 'MM7 takes POST only', 'http', { allow: 'POST' });
    const auth = this.vasps.authenticate(req);
    if (!auth.ok) {
      this.o.log.info({ reason: auth.reason, from: req.socket.remoteAddress }, 'mm7 request refused');
      return this.plain(res, auth.status, auth.reason, rest ? 'rest' : 'http', auth.status === 401 ? { 'www-authenticate': 'Basic realm="MM7"' } : {});
    }
    const vasp = auth.vasp;
    if (rest) return this.rest.handle(req, res, vasp);
    let type: ContentType;
    try {
      type = parseContentType(req.headers['content-type'] ?? '');
    } catch {
      return this.plain(res, 415, 'Content-Type must be text/xml or multipart/related (SOAP with attachments)', 'http');
    }
    const soapTypes = ['text/xml', 'application/soap+xml', 'multipart/related', 'multipart/mixed'];
    if (!soapTypes.includes(type.type)) return this.plain(res, 415, `Content-Type ${type.type} is not SOAP`, 'http');
    // The VASP's configured version answers when the request's own cannot be read.
    const fallback = namespaceFor(vasp.version);
    const limits = { maxBytes: this.o.config.maxBodyBytes };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limits.maxBytes) {
      // Answered before reading: the connection is closed after the answer (the body is not drained).
      return this.soap(res, errorRsp(fallback, '', 2004, `request of ${declared} bytes is over the limit of ${limits.maxBytes} bytes`), 'unparsed', 2004, true);
    }

    // 1. The MIME envelope (bounded while streaming) and the SOAP part. A SubmitReq's content is streamed
    // into the store as it arrives when the SOAP part comes first (the usual order; see ContentStreamer).
    const streamer = new ContentStreamer(this.o.queue, vasp, newMessageId((this.o.now ?? Date.now)()), 2 * this.o.config.requestTimeoutMs + 60_000, this.o.config.maxElements, this.retries);
    try {
      return await this.receive(req, res, vasp, type, fallback, limits, streamer);
    } finally {
      // Discarded unless a SubmitReq enqueued it (a no-op then: the stage belongs to the message).
      if (!streamer.accepted) await streamer.discard();
    }
  }

  private async receive(
    req: IncomingMessage,
    res: ServerResponse,
    vasp: VaspConfig,
    type: ContentType,
    fallback: { namespace: string; mm7Version: string },
    limits: { maxBytes: number },
    streamer: ContentStreamer,
  ): Promise<void> {
    const log = this.o.log.child({ vasp: vasp.id });
    let root: MimeEntity | undefined;
    let soapPart: MimeEntity | undefined;
    let bytes = 0;
    const counted = countBytes(req, (n) => {
      bytes += n;
      this.o.metrics.mm7RequestBytes.inc(n);
    });
    try {
      if (type.type.startsWith('multipart/')) {
        root = await parseMultipart(counted, type, limits, streamer.options);
        soapPart = startPart(root);
      } else {
        soapPart = await parseSinglePart(counted, type, undefined, limits);
      }
    } catch (err) {
      if (streamer.failed(err)) {
        // The store failed while the content was being written: nothing is accepted; the VASP retries.
        log.error({ err }, 'mm7 content could not be stored');
        return this.soap(res, errorRsp(fallback, '', 3001, 'the message could not be stored; retry later'), 'unparsed', 3001, true);
      }
      if (!(err instanceof MimeError)) throw err;
      const tooLarge = err.code === 'TOO_LARGE';
      log.info({ code: err.code, bytes }, 'mm7 request body refused');
      return this.soap(res, errorRsp(fallback, '', tooLarge ? 2004 : 2007, `${tooLarge ? 'request too large' : 'malformed MIME body'}: ${err.message}`), 'unparsed', tooLarge ? 2004 : 2007, tooLarge);
    }
    if (!soapPart?.body) return this.soap(res, errorRsp(fallback, '', 2007, 'no SOAP envelope in the request'), 'unparsed', 2007);
    // startPart falls back to the first part when `start` names none (liberal: some VASPs get the id wrong);
    // that part must then still be XML, or the SOAP part is missing.
    if (root && !XML_TYPES.has(soapPart.contentType.type)) {
      const start = root.contentType.params['start'] ?? '(none)';
      return this.soap(res, errorRsp(fallback, '', 2007, `no SOAP envelope: start ${start} names no XML part (found ${soapPart.contentType.type})`), 'unparsed', 2007);
    }

    // 2. The SOAP envelope.
    let msg: Mm7Message;
    try {
      // Parsed already when the content was streamed (the same part, read once).
      msg = streamer.envelopeOf(soapPart) ?? parseMm7(soapPart.body, { maxElements: this.o.config.maxElements });
    } catch (err) {
      if (!(err instanceof Mm7Error)) throw err;
      log.info({ code: err.code, detail: err.message }, 'mm7 envelope refused');
      const ns = err.namespace ? { namespace: err.namespace, mm7Version: fallback.mm7Version } : fallback;
      return this.soap(res, errorRsp(ns, err.transactionId ?? '', err.status, err.message), 'unparsed', err.status);
    }

    // 3. The operation.
    const reply = { transactionId: msg.transactionId, namespace: msg.namespace, mm7Version: msg.mm7Version };
    if (msg.kind === 'CancelReq' || msg.kind === 'ReplaceReq') {
      const kind = msg.kind === 'CancelReq' ? 'CancelRsp' : 'ReplaceRsp';
      let answer: Answer;
      try {
        answer =
          msg.kind === 'CancelReq'
            ? await cancel(this.o.queue, vasp, msg)
            : await replace(this.o.queue, vasp, msg, root, (this.o.now ?? Date.now)(), streamer.stageFor(msg, root));
        if (msg.kind === 'ReplaceReq' && answer.code === 1000) streamer.accepted = true;
      } catch (err) {
        if (err instanceof Mm7Refusal) answer = { code: err.status, text: err.message };
        else {
          // The store is unreachable: a transient server-side refusal; the VASP retries.
          log.error({ err }, `mm7 ${msg.kind} failed`);
          answer = { code: 3001, text: 'the request could not be carried out now; retry later' };
        }
      }
      log.info({ messageId: msg.messageId, status: answer.code, ...(answer.sanitised?.length ? { sanitised: answer.sanitised } : {}) }, `mm7 ${msg.kind}`);
      return this.soap(res, { kind, ...reply, status: answer }, msg.kind, answer.code);
    }
    if (msg.kind !== 'SubmitReq') {
      // DeliverReq, DeliveryReportReq, ReadReplyReq go from the MMSC to a VASP, not back; responses are not requests.
      return this.soap(res, errorRsp(reply, msg.transactionId, 4003, `${msg.kind} is not an operation a VASP sends to this MMSC`), msg.kind, 4003);
    }
    const stage = streamer.stageFor(msg, root);
    // A VASP's retry of a SubmitReq (same TransactionID, same request, within the window) is stored under the
    // first one's Message-ID (SubmitRetries): answered at once when that message is stored.
    let claim: SubmitClaim = { messageId: streamer.candidate, retry: false };
    try {
      if (stage && streamer.claim) claim = await streamer.claim;
      else if (this.retries) claim = await this.retries.claim(vasp.id, msg, streamer.candidate);
      if (claim.retry && (await this.o.queue.message(claim.messageId))) {
        log.info({ messageId: claim.messageId, transactionId: msg.transactionId }, 'mm7 SubmitReq retried: answered with the first MessageID');
        return this.soap(res, { kind: 'SubmitRsp', ...reply, status: { code: 1000, text: 'Success' }, messageId: claim.messageId }, 'SubmitReq', 1000);
      }
    } catch (err) {
      log.error({ err }, 'mm7 SubmitReq: its TransactionID could not be checked');
      return this.soap(res, { kind: 'SubmitRsp', ...reply, status: { code: 3001, text: 'the message could not be stored; retry later' } }, 'SubmitReq', 3001);
    }
    if (claim.retry) log.info({ messageId: claim.messageId, transactionId: msg.transactionId }, 'mm7 SubmitReq retried before the first was stored: stored under its MessageID');
    const result = await this.intake.submit(
      vasp,
      (messageId, now) => {
        const { defaultExpiryMs, maxExpiryMs, maxRecipients } = this.o.config;
        const ctx: SubmitContext = { vasp, messageId, now, defaultExpiryMs, maxExpiryMs, maxRecipients };
        if (stage) ctx.stage = stage;
        return toSubmission(msg, root, ctx);
      },
      claim.messageId,
    );
    if (result.ok) streamer.accepted = true;
    if (!result.ok) return this.soap(res, { kind: 'SubmitRsp', ...reply, status: { code: result.status, text: result.text } }, 'SubmitReq', result.status);
    log.debug({ messageId: result.messageId, bytes }, 'mm7 SubmitReq accepted');
    return this.soap(res, { kind: 'SubmitRsp', ...reply, status: { code: 1000, text: 'Success' }, messageId: result.messageId }, 'SubmitReq', 1000);
  }
}

/**
 * Streams the content leaves of a SubmitReq (or a ReplaceReq) into a queue stage while the request arrives,
 * so that a large message never sits whole in memory. It can decide only once the SOAP part is complete:
 * when the next part's headers arrive, the envelope is parsed; if it is a SubmitReq or ReplaceReq with
 * Content, the leaves under the first entity the Content href names go to the stage (in order: the
 * message's parts; for a ReplaceReq a 'replacement' stage of the message it names) and any other leaf is
 * dropped unread.
 * Parts before the SOAP part, and any other request, stay in memory as the parser keeps them (bounded by
 * the body limit). Bytes over the VASP's message size are not written (the submission is refused 2004).
 * A SubmitReq's stage is made under the Message-ID its TransactionID claims (`claim`; a retry's is the first
 * request's: SubmitRetries), so the parts wait for the claim in a HeldStage.
 */
class ContentStreamer {
  accepted = false;
  /** The claim of a SubmitReq whose content streams (made when its first content part starts). */
  claim: Promise<SubmitClaim> | undefined;
  private stage: ContentStage | undefined;
  private envelope: SubmitReq | ReplaceReq | null | undefined; // undefined: not seen yet; null: no content to stream
  private envelopePart: MimeEntity | undefined;
  private contentRoot: MimeEntity | undefined;
  private storeError: unknown;
  readonly options: StreamOptions;

  constructor(
    private readonly queue: Queue,
    private readonly vasp: VaspConfig,
    /** The Message-ID of a new submission (a retry is stored under the first one's instead). */
    readonly candidate: string,
    private readonly ttlMs: number,
    private readonly maxElements: number,
    private readonly retries?: SubmitRetries,
  ) {
    this.options = {
      leaf: (part, ancestors) => this.leaf(part, ancestors),
      drain: async () => {
        try {
          await this.stage?.drain();
        } catch (err) {
          this.storeError = err;
          throw err;
        }
      },
    };
  }

  failed(err: unknown): boolean {
    return this.storeError !== undefined && err === this.storeError;
  }

  private leaf(part: MimeEntity, ancestors: readonly MimeEntity[]): PartSink | undefined {
    const root = ancestors[0]!;
    if (this.envelope === undefined) this.envelope = this.earlyEnvelope(root);
    if (this.envelope === undefined || this.envelope === null) return undefined;
    const env = this.envelope;
    const href = env.content!.href;
    // findPart's order: depth first, an ancestor before its descendants; a Content-ID before a Content-Location.
    if (!this.contentRoot) this.contentRoot = [...ancestors.slice(1), part].find((e) => hrefMatch(e, href) !== undefined);
    if (!this.contentRoot || (this.contentRoot !== part && !ancestors.includes(this.contentRoot))) return DROP;
    this.stage ??= env.kind === 'SubmitReq' ? this.submitStage(env) : this.queue.stage(env.messageId, this.ttlMs, 'replacement');
    const stage = this.stage;
    const out = stage.part();
    const max = this.vasp.maxMessageBytes;
    let over = false;
    return {
      write: (b) => {
        // Counted but not written once over the VASP's limit: the size check refuses it with 2004.
        if (over || stage.bytes + b.length > max) {
          over = true;
          return;
        }
        out.write(b);
      },
      end: () => out.end(),
    };
  }

  private submitStage(env: SubmitReq): ContentStage {
    if (!this.retries) return this.queue.stage(this.candidate, this.ttlMs);
    this.claim = this.retries.claim(this.vasp.id, env, this.candidate);
    return new HeldStage(this.claim.then((c) => this.queue.stage(c.messageId, this.ttlMs)));
  }

  /** The envelope, once the SOAP part is complete: null when it is not a SubmitReq/ReplaceReq with Content (or unreadable). */
  private earlyEnvelope(root: MimeEntity): SubmitReq | ReplaceReq | null | undefined {
    const parts = root.parts ?? [];
    const start = root.contentType.params['start'];
    const id = start === undefined ? '' : stripAngles(start);
    const soap = id === '' ? parts[0] : parts.find((p) => p.contentId === id);
    if (!soap?.body) return undefined; // not arrived (or not complete) yet
    this.envelopePart = soap;
    try {
      const msg = parseMm7(soap.body, { maxElements: this.maxElements });
      return (msg.kind === 'SubmitReq' || msg.kind === 'ReplaceReq') && msg.content ? msg : null;
    } catch {
      return null; // answered from the full parse later
    }
  }

  /** The envelope parsed while streaming, if it came from `part`. */
  envelopeOf(part: MimeEntity): Mm7Message | undefined {
    return part === this.envelopePart && this.envelope ? this.envelope : undefined;
  }

  /** The stage for this SubmitReq or ReplaceReq, when its content was streamed and findPart agrees on the part streamed. */
  stageFor(msg: Mm7Message, root: MimeEntity | undefined): ContentStage | undefined {
    if (!this.stage || (msg.kind !== 'SubmitReq' && msg.kind !== 'ReplaceReq') || !msg.content || !root) return undefined;
    const stage = this.stage instanceof HeldStage ? this.stage.stage : this.stage;
    return findPart(root, msg.content.href) === this.contentRoot ? stage : undefined;
  }

  async discard(): Promise<void> {
    await this.stage?.discard();
  }
}

/** A leaf that is not content: read and dropped. */
const DROP: PartSink = { write: () => undefined, end: () => undefined };

/** Media types a SOAP 1.1 envelope travels as (text/xml; application/xml and SOAP 1.2's from confused stacks). */
const XML_TYPES = new Set(['text/xml', 'application/xml', 'application/soap+xml']);

/** An RSErrorRsp in the given namespace (§8.7.x: the MMSC's answer to a request it could not process). */
function errorRsp(ns: { namespace: string; mm7Version: string }, transactionId: string, code: number, text: string): Mm7Message {
  return { kind: 'RSErrorRsp', transactionId, namespace: ns.namespace, mm7Version: ns.mm7Version, status: { code, text } };
}

/** The request body as an async iterable that reports each chunk's size. */
async function* countBytes(req: IncomingMessage, count: (n: number) => void): AsyncIterable<Buffer> {
  // destroyOnReturn false: when the parser stops early (over the limit), the socket must live on to carry
  // the answer; the rest of the body is then discarded (req.resume()) within the request timeout.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const b = chunk as Buffer;
    count(b.length);
    yield b;
  }
}
