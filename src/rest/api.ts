import type { IncomingMessage, ServerResponse } from 'node:http';
import { isShortCode } from '../../protocols/address/index.js';
import type { ContentRef, Party, Recipient, RecipientState } from '../core/message.js';
import { buildMessage, MULTIPART_MIXED } from '../core/message-builder.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { OutboundRefusal, type OutboundGuard } from '../transport/outbound-guard.js';
import { newMessageId } from '../core/message-id.js';
import { Refusal } from '../core/refusals.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { ContentStage, Queue } from '../core/ports.js';
import type { AdmissionRefusal, BodyTicket } from '../mm7/admission.js';
import { RestError, refusal, refused, RETRY_SOON_MS } from './errors.js';
import { type Form, readForm } from './form.js';
import type { Intake, IntakeResult } from '../core/intake.js';
import { toParty, tooManyRecipients, type Submission } from '../mm7/submit.js';
import { vaspIntake } from '../vasp/accounts.js';

export interface RestApiOptions {
  config: Config['mm7'];
  queue: Queue;
  intake: Intake;
  metrics: Metrics;
  log: Logger;
  /** Checks a callbackUrl at submission: what can be refused without a lookup is refused here. */
  guard: OutboundGuard;
}

/** The form fields a submission may carry; only `to` may repeat. */
const FIELDS = new Set(['from', 'to', 'subject', 'text', 'callbackUrl', 'expiry']);

/** Submissions of a VASP on either edge: what GET /v1/messages/:id may show it. */
const READABLE_IFACES: ReadonlySet<string> = new Set(['rest', 'mm7']);

type Operation = 'submit' | 'status' | 'other';

function operationOf(path: string): Operation {
  return path === '/v1/messages' ? 'submit' : /^\/v1\/messages\/[^/]+$/.test(path) ? 'status' : 'other';
}

/**
 * The REST submission API for content providers that do not speak SOAP, on the MM7 listener (which has
 * authenticated the VASP already): POST /v1/messages (multipart/form-data) goes through the same intake as
 * an MM7 SubmitReq (throttle, limits, routing, enqueue), and GET /v1/messages/:id shows a VASP the
 * per-recipient states and events of its own submissions, from either edge.
 */
export class RestApi {
  constructor(private readonly o: RestApiOptions) {}

  /** `ticket`: the listener's admission of the request's body (server.ts), counted as it is read. */
  async handle(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, ticket?: BodyTicket): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const status = /^\/v1\/messages\/([^/]+)$/.exec(path);
    const operation = operationOf(path);
    try {
      if (operation === 'other') throw new RestError('NOT_FOUND', `no resource at ${path}`);
      const allow = operation === 'submit' ? 'POST' : 'GET';
      if (req.method !== allow) throw new RestError('METHOD_NOT_ALLOWED', `${path} takes ${allow} only`, { allow });
      if (operation === 'submit') return await this.submit(req, res, vasp, ticket);
      return await this.status(res, vasp, status![1]!);
    } catch (err) {
      if (err instanceof RestError) return this.refuse(req, res, operation, vasp, err);
      this.o.log.error({ err, vasp: vasp.id }, 'rest request failed');
      return this.refuse(req, res, operation, vasp, new RestError('INTERNAL', 'internal error'));
    }
  }

  /**
   * A request the listener did not admit (server.ts: the account's requests in progress, or the listener's
   * body budget): refused before its body is read, 429 for the account's own limit, 503 for the listener's.
   */
  busy(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, why: AdmissionRefusal): void {
    const code = why.reason === 'vasp-in-flight' ? 'throttled' : 'overloaded';
    this.refuse(req, res, operationOf((req.url ?? '/').split('?')[0]!), vasp, refusal(code, why.text, RETRY_SOON_MS));
  }

  private async submit(req: IncomingMessage, res: ServerResponse, vasp: VaspConfig, ticket: BodyTicket | undefined): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'multipart/form-data') throw refusal('unsupported-media-type', 'POST /v1/messages takes multipart/form-data');
    // Files go to the store as they arrive (a stage under the id the message will have), never whole in memory.
    const messageId = newMessageId();
    const stage = this.o.queue.stage(messageId, 2 * this.o.config.requestTimeoutMs + 60_000);
    let accepted = false;
    try {
      const form = await readForm(req, this.o.config.maxBodyBytes, vasp.maxMessageBytes, stage, ticket);
      const { defaultExpiryMs, maxExpiryMs, maxRecipients } = this.o.config;
      // toRestSubmission's checks refuse the form itself (a Refusal, returned by the intake): nothing is stored.
      const result = await this.o.intake.submit({
        ...vaspIntake(vasp, this.o.config.requestTimeoutMs),
        messageId,
        build: (id, now) =>
          toRestSubmission(form, stage, { vasp, messageId: id, now, defaultExpiryMs, maxExpiryMs, maxRecipients, guard: this.o.guard }),
      });
      accepted = result.ok;
      this.answerSubmit(res, result);
    } finally {
      if (!accepted) await stage.discard();
    }
  }

  private answerSubmit(res: ServerResponse, result: IntakeResult): void {
    // Throttled: Retry-After is the throttle's wait (see `refused`).
    if (!result.ok) throw refused(result.refusal);
    const location = `/v1/messages/${encodeURIComponent(result.messageId)}`;
    this.json(res, 'submit', HTTP_STATUS.ACCEPTED, { messageId: result.messageId, recipients: result.recipients }, { location });
  }

  private async status(res: ServerResponse, vasp: VaspConfig, encodedId: string): Promise<void> {
    let id: string;
    try {
      id = decodeURIComponent(encodedId);
    } catch {
      throw refusal('validation-error', 'the message id is not valid percent-encoding');
    }
    const view = await this.view(id, vasp).catch((err: unknown) => {
      this.o.log.error({ err, messageId: id }, 'message status unavailable');
      throw refusal('store-unavailable', 'the message store is unavailable; retry later');
    });
    // Another VASP's message is answered exactly like an unknown one: ids are not secrets to guess at.
    if (!view) throw refusal('message-not-found', `no message ${id} submitted by this account`);
    this.json(res, 'status', HTTP_STATUS.OK, view);
  }

  /** The status document of a message the VASP submitted, or undefined. */
  private async view(id: string, vasp: VaspConfig): Promise<MessageView | undefined> {
    const q = this.o.queue;
    const m = await q.message(id);
    if (!m || !READABLE_IFACES.has(m.origin.iface) || m.origin.peer !== vasp.id) return undefined;
    const states = (await q.states(id)) ?? [];
    const histories = await Promise.all(m.recipients.map((_, i) => q.history(id, i)));
    const view: MessageView = {
      messageId: m.id,
      from: m.originator.address,
      submittedAt: iso(m.receivedAt),
      expiresAt: iso(m.expiresAt),
      recipients: m.recipients.map((r, i) => ({
        address: r.address,
        kind: r.kind,
        state: states[i] ?? 'queued',
        events: (histories[i] ?? []).map((e) => ({
          at: iso(e.at),
          state: e.state,
          attempt: e.attempt,
          ...(e.detail !== undefined ? { detail: e.detail } : {}),
        })),
      })),
    };
    if (m.subject !== undefined) view.subject = m.subject;
    return view;
  }

  private refuse(req: IncomingMessage, res: ServerResponse, operation: Operation, vasp: VaspConfig, err: RestError): void {
    if (req.socket.destroyed) {
      this.o.log.debug({ vasp: vasp.id, operation, detail: err.message }, 'rest client went away');
      return;
    }
    if (err.status < HTTP_STATUS.INTERNAL_SERVER_ERROR)
      this.o.log.info({ vasp: vasp.id, operation, status: err.status, detail: err.message }, 'rest request refused');
    else if (err.cause !== undefined)
      this.o.log.error({ vasp: vasp.id, operation, status: err.status, err: err.cause }, 'rest request failed');
    const headers = { ...err.headers };
    // A body left unread (over a limit, malformed, not looked at) is discarded, and the connection not
    // reused: keeping it would mean reading the rest of a body of any size first.
    if (unreadBody(req)) {
      headers.connection = 'close';
      req.resume();
    }
    this.json(res, operation, err.status, { error: { status: err.status, code: err.code, message: err.message } }, headers);
  }

  private json(res: ServerResponse, operation: Operation, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.o.metrics.restRequests.inc({ operation, code: String(status) });
    const text = Buffer.from(JSON.stringify(body), 'utf8');
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(text.length), ...headers })
      .end(text);
  }
}

/** Whether the request has a body not read to its end (a request without one is not `complete` yet either). */
function unreadBody(req: IncomingMessage): boolean {
  const framed = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return framed && !req.complete;
}

/** GET /v1/messages/:id */
interface MessageView {
  messageId: string;
  from: string;
  subject?: string;
  submittedAt: string;
  expiresAt: string;
  recipients: Array<{
    address: string;
    kind: Recipient['kind'];
    state: RecipientState;
    events: Array<{ at: string; state: RecipientState; attempt: number; detail?: string }>;
  }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

interface RestContext {
  vasp: VaspConfig;
  messageId: string;
  now: number;
  defaultExpiryMs: number;
  maxExpiryMs: number;
  guard: OutboundGuard;
  maxRecipients: number;
}

/**
 * The form -> the core message and its parts, checked as an MM7 SubmitReq is (same sender, address and size
 * rules): throws a Refusal, which the intake answers and the API answers with its entry's HTTP status. Empty optional fields count
 * as absent, as HTML forms send every input.
 */
function toRestSubmission(form: Form, stage: ContentStage, ctx: RestContext): Submission {
  const { vasp, now } = ctx;
  const one = new Map<string, string>();
  const to: string[] = [];
  for (const { name, value } of form.fields) {
    // An unknown field is most likely a misspelt one (callbackURL): refusing it beats losing its reports.
    if (!FIELDS.has(name)) throw new Refusal('validation-error', `unknown field ${name.slice(0, 40)}`);
    if (name === 'to') to.push(value);
    else if (one.has(name)) throw new Refusal('validation-error', `field ${name} given twice`);
    else if (value !== '') one.set(name, value);
  }

  const sender = one.get('from') ?? vasp.senders[0]!;
  if (!vasp.senders.includes(sender))
    throw new Refusal('sender-not-allowed', `sender address ${sender} is not allowed for VASP ${vasp.id}`);
  if (to.length === 0) throw new Refusal('address-error', 'at least one "to" recipient is required');
  if (to.length > ctx.maxRecipients) throw tooManyRecipients(to.length, ctx.maxRecipients);
  const recipients: Recipient[] = to.map((a) => ({ ...partyOf(a), kind: 'to' }));

  const callbackUrl = one.get('callbackUrl');
  if (callbackUrl !== undefined) checkCallbackUrl(callbackUrl, ctx);
  const expiry = one.get('expiry');
  if (expiry !== undefined && !/^[1-9]\d*$/.test(expiry))
    throw new Refusal('validation-error', `expiry ${expiry} is not a positive number of seconds`);

  // The files are the stage's parts 0..n-1 (in order of arrival); the text, known only once the form is read,
  // is written after them, but listed first: parts are presented in list order, each read by its index.
  const parts: ContentRef[] = form.files.map((f, index) => {
    const ref: ContentRef = { index, contentType: f.mimeType, size: f.size };
    if (f.filename !== undefined && f.filename !== '') ref.contentLocation = f.filename;
    return ref;
  });
  const text = one.get('text');
  if (text !== undefined) {
    const bytes = Buffer.from(text, 'utf8');
    parts.unshift({ index: form.files.length, contentType: 'text/plain', params: { charset: 'utf-8' }, size: bytes.length });
    const out = stage.part();
    out.write(bytes);
    out.end();
  }
  if (parts.length === 0) throw new Refusal('validation-error', 'no content: give a text field or at least one file');
  const size = parts.reduce((s, p) => s + p.size, 0);
  if (size > vasp.maxMessageBytes) {
    throw new Refusal(
      'message-too-large',
      `message content of ${size} bytes is over the limit of ${vasp.maxMessageBytes} bytes for VASP ${vasp.id}`,
    );
  }

  const smil = parts.find((p) => p.contentType === 'application/smil');
  // A presentation: the SMIL part is the root and names the others by Content-ID or Content-Location.
  if (smil) parts.forEach((p) => (p.contentId = `<part${p.index}>`));
  const message = buildMessage({
    id: ctx.messageId,
    now,
    originator: partyOf(sender),
    recipients,
    origin: callbackUrl !== undefined ? { iface: 'rest', peer: vasp.id, callbackUrl } : { iface: 'rest', peer: vasp.id },
    // A form is a list of parts whatever their number (one file is still an attachment).
    contentType: smil ? 'application/vnd.wap.multipart.related' : MULTIPART_MIXED,
    contentTypeParams: smil ? { type: 'application/smil', start: smil.contentId! } : undefined,
    parts,
    subject: one.get('subject'),
    expiresAt: expiry !== undefined ? now + Number(expiry) * 1000 : undefined,
    lifetime: { defaultMs: ctx.defaultExpiryMs, maxMs: ctx.maxExpiryMs },
    // The callback is where the delivery events go: asking for one asks for them.
    deliveryReport: callbackUrl !== undefined,
  });
  return { message, content: stage, sanitised: sanitiseMessage(message) };
}

/** A recipient or sender as a provider writes it: an e-mail address, a short code, or a phone number. */
function partyOf(text: string): Party {
  const s = text.trim();
  if (s.includes('@')) return toParty({ kind: 'email', value: s });
  if (isShortCode(s)) return toParty({ kind: 'shortCode', value: s });
  return toParty({ kind: 'number', value: s });
}

/**
 * The gateway POSTs to a callbackUrl from inside the operator's network: refused here (validation-error, with the
 * reason) when its form, scheme, user info, the account's callbackUrlPrefixes or a literal address say
 * no. A host name is resolved and checked when the callback is sent (its answers may change meanwhile).
 */
function checkCallbackUrl(url: string, ctx: RestContext): void {
  try {
    ctx.guard.checkUrl(url, ctx.vasp.callbackUrlPrefixes);
  } catch (err) {
    if (!(err instanceof OutboundRefusal)) throw err;
    throw new Refusal('validation-error', `callbackUrl refused: ${err.message}`);
  }
}
