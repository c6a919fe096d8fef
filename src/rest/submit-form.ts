import { isShortCode } from '../../protocols/address/index.js';
import type { ContentRef, Party, Recipient } from '../core/message.js';
import { buildMessage, MULTIPART_MIXED } from '../core/message-builder.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { VaspConfig } from '../ops/config.js';
import { OutboundRefusal, type OutboundGuard } from '../transport/outbound-guard.js';
import { Refusal } from '../core/refusals.js';
import type { ContentStage } from '../core/ports.js';
import type { Form } from './form.js';
import { toParty, tooManyRecipients, type Submission } from '../mm7/submit.js';

/** The form fields a submission may carry; only `to` may repeat. */
const FIELDS = new Set(['from', 'to', 'subject', 'text', 'callbackUrl', 'expiry', 'sendAt', 'class']);

/** What a submission is checked against: the account, the message's id and time, and the listener's limits. */
export interface RestContext {
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
export function toRestSubmission(form: Form, stage: ContentStage, ctx: RestContext): Submission {
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
  const sendAtField = one.get('sendAt');
  const sendAt = sendAtField === undefined ? undefined : scheduledTime(sendAtField, ctx);
  // Scheduled without an expiry of its own: the default lifetime counts from sendAt (within the maximum).
  let expiresAt = expiry !== undefined ? now + Number(expiry) * 1000 : undefined;
  if (sendAt !== undefined && expiresAt === undefined) expiresAt = Math.min(sendAt + ctx.defaultExpiryMs, now + ctx.maxExpiryMs);
  if (sendAt !== undefined && expiresAt !== undefined && expiresAt <= sendAt)
    throw new Refusal('validation-error', 'sendAt is not before the message expires: give a later expiry');

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
    expiresAt,
    earliestDeliveryAt: sendAt,
    lifetime: { defaultMs: ctx.defaultExpiryMs, maxMs: ctx.maxExpiryMs },
    // The callback is where the delivery events go: asking for one asks for them.
    deliveryReport: callbackUrl !== undefined,
  });
  // `class` (issue 24): marketing needs the recipients' opt-in (core/consent.ts); default transactional.
  const trafficClass = one.get('class');
  if (trafficClass !== undefined && trafficClass !== 'transactional' && trafficClass !== 'marketing')
    throw new Refusal('validation-error', 'class must be transactional or marketing');
  if (trafficClass !== undefined) message.sender = { ...message.sender, trafficClass };
  return { message, content: stage, sanitised: sanitiseMessage(message) };
}

/** A recipient or sender as a provider writes it: an e-mail address, a short code, or a phone number. */
export function partyOf(text: string): Party {
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
export function checkCallbackUrl(url: string, ctx: Pick<RestContext, 'vasp' | 'guard'>, field = 'callbackUrl'): void {
  try {
    ctx.guard.checkUrl(url, ctx.vasp.callbackUrlPrefixes);
  } catch (err) {
    if (!(err instanceof OutboundRefusal)) throw err;
    throw new Refusal('validation-error', `${field} refused: ${err.message}`);
  }
}

/** An RFC 3339 date-time with a time zone offset (Z or +hh:mm), fractions of a second allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time (epoch ms), or undefined when it is not one (a date that does not exist included). */
export function rfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: the calendar date must be the one written.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number);
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  const shift = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  const local = new Date(ms + shift);
  if (local.getUTCFullYear() !== y || local.getUTCMonth() + 1 !== m || local.getUTCDate() !== d) return undefined;
  return ms;
}

/**
 * A submission's sendAt (RFC 3339 with an offset): when the message is to go. A time already past means
 * now; one past the longest lifetime (ctx.maxExpiryMs) is refused, as the message would expire first.
 */
export function scheduledTime(text: string, ctx: Pick<RestContext, 'now' | 'maxExpiryMs'>): number | undefined {
  const at = rfc3339(text);
  if (at === undefined) throw new Refusal('validation-error', `sendAt ${text.slice(0, 40)} is not an RFC 3339 time with an offset`);
  if (at >= ctx.now + ctx.maxExpiryMs)
    throw new Refusal('validation-error', `sendAt ${text.slice(0, 40)} is beyond the longest lifetime of a message`);
  return at > ctx.now ? at : undefined;
}
