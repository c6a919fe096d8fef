import { isShortCode } from '../../protocols/address/index.js';
import type { ContentRef, CoreMessage, Recipient, SenderOptions } from '../core/message.js';
import { buildMessage, MULTIPART_MIXED } from '../core/message-builder.js';
import { newMessageId } from '../core/message-id.js';
import { type PhoneNumberReason, parsePhoneNumber } from '../core/phone-number.js';
import { Refusal } from '../core/refusals.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { SenderEventType } from '../core/sender-events.js';
import { tooManyRecipients } from '../mm7/submit.js';
import type { VaspConfig } from '../ops/config.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { vaspIntake } from '../vasp/accounts.js';
import { refused } from './errors.js';
import { JSON_MAX_BYTES, type JsonSubmission, parseSubmissionBody, readJsonBody } from './json-body.js';
import { type MediaRef, MediaUnavailableError, type ResolvedMedia } from './media/types.js';
import type { RestAnswer, RestRequest } from './route.js';
import type { RestApiOptions } from './services.js';
import { checkCallbackUrl, partyOf } from './submit-form.js';
import { submitAnswer } from './submit-answer.js';

/** How far in the past a sendAt may be (a clock a little behind ours): sent at once, not refused. */
export const SEND_AT_SLACK_MS = 60_000;

/** A refusal with the members its REST error adds (recipient, reason, field). */
class DetailedRefusal extends Refusal {
  constructor(
    code: Refusal['code'],
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(code, message);
  }
}

/** A JSON submission checked before anything is claimed or fetched: who from, to whom, which media. */
export interface CheckedSubmission {
  body: JsonSubmission;
  sender: string;
  recipients: Recipient[];
  media: MediaRef[];
}

/**
 * Everything about a submission that needs no clock and no I/O (refused before the Idempotency-Key is claimed
 * and before any media is fetched): the sender, the numbers (libphonenumber-js, the account's defaultRegion),
 * the recipients' count, the webhook URLs (the outbound guard's checks without a lookup), the media's form.
 * Throws RestError.
 */
export function checkJsonSubmission(
  body: JsonSubmission,
  ctx: {
    vasp: VaspConfig;
    guard: OutboundGuard;
    maxRecipients: number;
    mediaService: boolean;
    /** Counts a number refused, by reason (metrics). */
    refusedNumber?: (reason: PhoneNumberReason) => void;
  },
): CheckedSubmission {
  const { vasp } = ctx;
  const fail = (code: Refusal['code'], message: string, details: Record<string, unknown> = {}): never => {
    throw refused(new Refusal(code, message), details);
  };
  const sender = body.from ?? vasp.senders[0]!;
  if (!vasp.senders.includes(sender)) fail('sender-not-allowed', `sender address ${sender} is not allowed for VASP ${vasp.id}`);

  const to = typeof body.to === 'string' ? [body.to] : body.to;
  // Counted before any number is parsed: a body of many thousand recipients costs no more than its reading.
  if (to.length > ctx.maxRecipients) throw refused(tooManyRecipients(to.length, ctx.maxRecipients));
  const recipients: Recipient[] = to.map((text) => {
    const n = parsePhoneNumber(text, vasp.defaultRegion);
    if (n.ok) return { address: n.e164, type: 'plmn', kind: 'to' };
    // Short codes and e-mail addresses are MM7's and the form's; the JSON API sends to phone numbers only.
    const what = text.includes('@')
      ? 'an e-mail address is not a recipient of a JSON submission: give a phone number in +E.164 form'
      : isShortCode(text.trim())
        ? `a short code is not a recipient of a JSON submission (${n.message}): give a phone number in +E.164 form`
        : n.message;
    ctx.refusedNumber?.(n.reason);
    return fail('address-error', `recipient ${text} is not a valid phone number: ${what} (${n.reason})`, {
      recipient: text,
      reason: n.reason,
    });
  });

  const urlCtx = { vasp, guard: ctx.guard };
  const checkUrl = (url: string, field: string) => {
    try {
      checkCallbackUrl(url, urlCtx, field);
    } catch (err) {
      if (err instanceof Refusal) throw refused(err, { field });
      throw err;
    }
  };
  if (body.callbackUrl !== undefined) checkUrl(body.callbackUrl, 'callbackUrl');
  if (body.failoverUrl !== undefined) {
    if (body.callbackUrl === undefined)
      fail('validation-error', 'failoverUrl is where events go when callbackUrl keeps failing: give a callbackUrl too', {
        field: 'failoverUrl',
      });
    checkUrl(body.failoverUrl, 'failoverUrl');
  }
  if (body.validity !== undefined && body.expiresAt !== undefined)
    fail('validation-error', 'give validity or expiresAt, not both', { field: 'expiresAt' });
  if (body.fallback?.text !== undefined && !body.fallback.sms)
    fail('validation-error', 'fallback.text is the text of the SMS fallback: it needs fallback.sms true', { field: 'fallback.text' });

  const media = (body.media ?? []).map((entry, i): MediaRef => {
    const ref: MediaRef = typeof entry === 'string' ? { source: entry } : { source: entry.url };
    if (typeof entry !== 'string') {
      if (entry.contentType !== undefined) ref.contentType = entry.contentType.toLowerCase();
      if (entry.filename !== undefined) ref.filename = entry.filename;
    }
    if (!/^https?:\/\//i.test(ref.source) && !ref.source.startsWith('med_'))
      fail('validation-error', `media ${i + 1} is neither an http(s) URL nor a media id (med_...)`, { field: `media.${i}` });
    return ref;
  });
  if (media.length > 0 && !ctx.mediaService)
    fail('validation-error', 'this gateway takes no media by URL or id: send the files as multipart/form-data', { field: 'media' });
  if (body.text === undefined && media.length === 0) fail('validation-error', 'no content: give a text, media, or both', { field: 'text' });
  const textBytes = body.text === undefined ? 0 : Buffer.byteLength(body.text);
  if (textBytes > vasp.maxMessageBytes)
    fail('message-too-large', `the text of ${textBytes} bytes is over the limit of ${vasp.maxMessageBytes} bytes for VASP ${vasp.id}`);
  return { body, sender, recipients, media };
}

/**
 * POST /v1/messages as application/json (docs/sender-api.md): read within its byte cap, checked, the
 * Idempotency-Key claimed, the media resolved (fetched or an upload) into the stage with the text first, then
 * through the same VASP intake as the form. On success, the `accepted` event per recipient, then `scheduled`
 * or `queued`. A media failure is the 422 answer only: nothing is stored, so there is no message for a
 * `media-unavailable` event to be about (the sender learns it at once, in the answer).
 */
export async function submitJson(o: RestApiOptions, r: RestRequest): Promise<RestAnswer> {
  const { vasp } = r;
  const raw = await readJsonBody(r.body ?? r.req, r.req, Math.min(o.config.maxBodyBytes, JSON_MAX_BYTES), r.ticket);
  const body = parseSubmissionBody(raw);
  const checked = checkJsonSubmission(body, {
    vasp,
    guard: o.guard,
    maxRecipients: o.config.maxRecipients,
    mediaService: o.media !== undefined,
    refusedNumber: (reason) => o.metrics.restNumberRefusals.inc({ reason }),
  });

  const messageId = newMessageId();
  const claim = await r.idempotency?.claim(messageId);
  if (claim && !claim.first) return claim.replay;
  const stage = o.queue.stage(messageId, 2 * o.config.requestTimeoutMs + 60_000);
  let accepted = false;
  try {
    const parts = await stageContent(o, vasp, checked, stage);
    let built: CoreMessage | undefined;
    const { defaultExpiryMs, maxExpiryMs } = o.config;
    const result = await o.intake.submit({
      ...vaspIntake(vasp, o.config.requestTimeoutMs),
      messageId,
      build: (id, now) => {
        const sub = toJsonSubmission(checked, parts, stage, { vasp, messageId: id, now, defaultExpiryMs, maxExpiryMs });
        built = sub.message;
        return sub;
      },
    });
    if (!result.ok) throw refused(result.refusal, result.refusal instanceof DetailedRefusal ? result.refusal.details : {});
    accepted = true;
    const message = built!;
    const scheduled = message.earliestDeliveryAt !== undefined;
    await emitAll(o, message, scheduled ? 'scheduled' : 'queued');
    return submitAnswer(result, message);
  } finally {
    if (!accepted) {
      await stage.discard();
      await r.idempotency?.release().catch((err: unknown) => o.log.warn({ err, vasp: vasp.id }, 'idempotency key not released'));
    }
  }
}

/**
 * The text (part 0) and the media (parts 1..n, in the order given) into the stage: text first, as the
 * presentation order of a multipart/mixed message is its parts' order (a SMIL layout is issue 25's).
 */
async function stageContent(
  o: RestApiOptions,
  vasp: VaspConfig,
  checked: CheckedSubmission,
  stage: ReturnType<RestApiOptions['queue']['stage']>,
): Promise<ContentRef[]> {
  const { body } = checked;
  const textBytes = body.text === undefined ? undefined : Buffer.from(body.text, 'utf8');
  let media: ResolvedMedia[] = [];
  if (checked.media.length > 0) {
    try {
      media = await o.media!.resolve(vasp, checked.media, vasp.maxMessageBytes - (textBytes?.length ?? 0));
    } catch (err) {
      if (!(err instanceof MediaUnavailableError)) throw err;
      const code = err.reason === 'type-mismatch' || err.reason === 'type-not-allowed' ? 'content-type-mismatch' : 'media-unavailable';
      throw refused(new Refusal(code, err.message), { url: err.url, reason: err.reason });
    }
  }
  const parts: ContentRef[] = [];
  const write = (bytes: Buffer, ref: Omit<ContentRef, 'index' | 'size'>) => {
    parts.push({ index: parts.length, size: bytes.length, ...ref });
    const out = stage.part();
    out.write(bytes);
    out.end();
  };
  if (textBytes) write(textBytes, { contentType: 'text/plain', params: { charset: 'utf-8' } });
  for (const m of media) {
    const location = m.filename ?? lastSegment(m.source);
    write(m.bytes, location === undefined ? { contentType: m.contentType } : { contentType: m.contentType, contentLocation: location });
  }
  const size = parts.reduce((s, p) => s + p.size, 0);
  if (size > vasp.maxMessageBytes)
    throw refused(
      new Refusal(
        'message-too-large',
        `message content of ${size} bytes is over the limit of ${vasp.maxMessageBytes} bytes for VASP ${vasp.id}`,
      ),
    );
  try {
    await stage.drain();
  } catch (err) {
    const failure = refused(new Refusal('store-unavailable'));
    failure.cause = err;
    throw failure;
  }
  return parts;
}

/** The last path segment of an http(s) URL, as a part's Content-Location (undefined when there is none). */
function lastSegment(source: string): string | undefined {
  if (!/^https?:\/\//i.test(source)) return undefined;
  try {
    const name = decodeURIComponent(new URL(source).pathname.split('/').pop() ?? '');
    return name === '' ? undefined : name.slice(0, 100);
  } catch {
    return undefined;
  }
}

/** Inside the intake (its clock): the times, then the core message. Throws a Refusal. */
export function toJsonSubmission(
  checked: CheckedSubmission,
  parts: ContentRef[],
  stage: ReturnType<RestApiOptions['queue']['stage']>,
  ctx: { vasp: VaspConfig; messageId: string; now: number; defaultExpiryMs: number; maxExpiryMs: number },
) {
  const { body } = checked;
  const { now, vasp } = ctx;
  let sendAt: number | undefined;
  if (body.sendAt !== undefined) {
    sendAt = Date.parse(body.sendAt);
    if (sendAt < now - SEND_AT_SLACK_MS)
      throw new DetailedRefusal('validation-error', `sendAt ${body.sendAt} is in the past`, { field: 'sendAt' });
    if (sendAt >= now + ctx.maxExpiryMs)
      throw new DetailedRefusal(
        'validation-error',
        `sendAt ${body.sendAt} is beyond the longest a message is kept (${Math.floor(ctx.maxExpiryMs / 1000)} s from now)`,
        { field: 'sendAt' },
      );
  }
  // Validity and the default lifetime count from when the message is to go, not from its submission.
  const start = Math.max(sendAt ?? now, now);
  let expiresAt: number | undefined;
  if (body.expiresAt !== undefined) {
    expiresAt = Date.parse(body.expiresAt);
    if (expiresAt <= now) throw new DetailedRefusal('expired', `expiresAt ${body.expiresAt} is in the past`, { field: 'expiresAt' });
    if (sendAt !== undefined && expiresAt <= sendAt)
      throw new DetailedRefusal('validation-error', `expiresAt ${body.expiresAt} is not after sendAt ${body.sendAt}`, {
        field: 'expiresAt',
      });
  } else if (body.validity !== undefined) expiresAt = start + body.validity * 1000;
  else if (sendAt !== undefined) expiresAt = start + ctx.defaultExpiryMs;

  const marketing = body.class === 'marketing';
  const origin: CoreMessage['origin'] = { iface: 'rest', peer: vasp.id };
  if (body.callbackUrl !== undefined) origin.callbackUrl = body.callbackUrl;
  if (body.failoverUrl !== undefined) origin.failoverUrl = body.failoverUrl;
  const message = buildMessage({
    id: ctx.messageId,
    now,
    originator: partyOf(checked.sender),
    recipients: checked.recipients,
    origin,
    contentType: MULTIPART_MIXED,
    parts,
    subject: body.subject,
    expiresAt,
    lifetime: { defaultMs: ctx.defaultExpiryMs, maxMs: ctx.maxExpiryMs },
    earliestDeliveryAt: sendAt,
    // Marketing is an advertisement in MM1/MM7 terms (OMA-TS-MMS_ENC §7.3.27 X-Mms-Message-Class).
    messageClass: marketing ? 'advertisement' : undefined,
    // The callback is where the events go: asking for one asks for them.
    deliveryReport: body.callbackUrl !== undefined,
    // A read report is asked for only when the sender wants one: handsets may prompt their user for it.
    readReport: body.readReport === true && body.callbackUrl !== undefined,
  });
  const sender: SenderOptions = { trafficClass: marketing ? 'marketing' : 'transactional' };
  if (body.clientRef !== undefined) sender.clientRef = body.clientRef;
  if (body.fallback !== undefined)
    sender.fallback = body.fallback.text !== undefined ? { sms: body.fallback.sms, text: body.fallback.text } : { sms: body.fallback.sms };
  message.sender = sender;
  return { message, content: stage, sanitised: sanitiseMessage(message) };
}

/** `accepted` for every recipient, then `then`: an event not recorded is logged; the message is stored whatever. */
export async function emitAll(o: RestApiOptions, message: CoreMessage, then: SenderEventType): Promise<void> {
  if (!o.events) return;
  const events = o.events;
  const at = message.receivedAt;
  // Every recipient's `accepted` before any `then`; each event queued on its own (a failure is logged only).
  for (const type of ['accepted', then] as const) {
    await Promise.all(
      message.recipients.map((_, i) =>
        events.emit(message, { type, recipientIndex: i, at }).catch((err: unknown) => {
          o.log.error({ err, messageId: message.id, type, recipient: i }, 'sender event not recorded');
        }),
      ),
    );
  }
}
