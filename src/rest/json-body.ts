import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { BodyTicket } from '../mm7/admission.js';
import { Refusal } from '../core/refusals.js';
import { refusal, refused, RETRY_SOON_MS, type RestError } from './errors.js';

/**
 * Largest JSON body (below mm7.maxBodyBytes when that is smaller): a submission names its media by URL or
 * upload id, so its body is text and a few hundred recipients; a megabyte is ample and bounds what parsing
 * one request may cost.
 */
export const JSON_MAX_BYTES = 1024 * 1024;

/** Deepest nesting of arrays and objects a body may have: the submission's own is 3 ({ media: [{ url }] }). */
export const JSON_MAX_DEPTH = 8;

/** Longest URL taken (callbackUrl, failoverUrl, media): the common limit of browsers and servers. */
const URL_MAX = 2048;
/** Longest subject. */
const SUBJECT_MAX = 1_000;
/** Longest fallback text: two SMS of 160 characters (the link comes after it; the whole is cut at 400 then). */
const FALLBACK_TEXT_MAX = 2 * 160;
/** Most media in one message: as many files as one form may carry (src/rest/form.ts). */
export const MEDIA_MAX = 20;

const text = (max: number) => z.string().max(max);
const time = z.iso.datetime({ offset: true });

/** One media entry: a URL or an upload id, or the object that also declares its type and file name. */
const MediaEntrySchema = z.union([
  text(URL_MAX).min(1),
  z.strictObject({
    url: text(URL_MAX).min(1),
    contentType: text(255)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a media type such as image/jpeg')
      .optional(),
    filename: text(255).min(1).optional(),
  }),
]);

/**
 * The JSON body of POST /v1/messages (docs/sender-api.md). Strict: an unknown field is refused (most likely
 * a misspelt one: losing a callbackURL's events is worse than a 400). Every string and list is bounded here;
 * `to` is bounded by mm7.maxRecipients after parsing (and by the body's size before).
 */
export const JsonSubmissionSchema = z.strictObject({
  to: z.union([text(64), z.array(text(64)).min(1)]),
  from: text(256).min(1).optional(),
  subject: text(SUBJECT_MAX).optional(),
  text: text(JSON_MAX_BYTES).min(1).optional(),
  media: z.array(MediaEntrySchema).min(1).max(MEDIA_MAX).optional(),
  callbackUrl: text(URL_MAX).optional(),
  failoverUrl: text(URL_MAX).optional(),
  sendAt: time.optional(),
  validity: z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 86_400)
    .optional(),
  expiresAt: time.optional(),
  clientRef: text(128).min(1).optional(),
  class: z.enum(['transactional', 'marketing']).optional(),
  readReport: z.boolean().optional(),
  fallback: z
    .strictObject({
      sms: z.boolean(),
      text: text(FALLBACK_TEXT_MAX).min(1).optional(),
    })
    .optional(),
});

export type JsonSubmission = z.infer<typeof JsonSubmissionSchema>;

/** The body checked against the schema: a validation-error naming the first field at fault (`field` in details). */
export function parseSubmissionBody(value: unknown): JsonSubmission {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refusal('validation-error', 'the body must be a JSON object');
  const r = JsonSubmissionSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    const field = `${prefix}${String(issue.keys[0]).slice(0, 40)}`;
    throw refused(new Refusal('validation-error', `unknown field ${field}`), { field });
  }
  const field = issue.path.map(String).join('.') || '(body)';
  throw refused(new Refusal('validation-error', `${field}: ${describe(issue)}`), { field });
}

/** Words for one issue, without zod's own (which may quote a whole regular expression). */
function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : ''}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `at least ${String(issue.minimum)}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'an RFC 3339 time with an offset (2026-12-24T09:00:00Z)' : issue.message;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'not one of the forms this field takes';
    default:
      return 'not valid';
  }
}

/**
 * Reads a JSON body of at most `maxBytes`, counted as it arrives against the limit and the listener's budget
 * (`ticket`), from `body` (the request, or the hashing stream an Idempotency-Key reads it through); then
 * parses it: UTF-8 (RFC 8259 §8.1; a BOM is ignored), nested at most JSON_MAX_DEPTH deep (checked before
 * JSON.parse builds anything). Rejects with RestError only: message-too-large, overloaded (503),
 * format-corrupt. A body not read to its end is the caller's to discard (the API closes the connection).
 */
export async function readJsonBody(body: Readable, req: IncomingMessage, maxBytes: number, ticket?: BodyTicket): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw refusal('message-too-large', `a JSON body of ${declared} bytes is over the limit of ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  const bytes = await new Promise<number>((resolve, reject) => {
    let n = 0;
    // Listeners, not `for await`: leaving an async iterator destroys the stream, and with it the socket the
    // refusal is to be answered on.
    const done = (err?: RestError) => {
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) {
        body.pause();
        reject(err);
      } else resolve(n);
    };
    const onData = (b: Buffer) => {
      n += b.length;
      if (n > maxBytes) return done(refusal('message-too-large', `the JSON body is over the limit of ${maxBytes} bytes`));
      // A chunked body is admitted as it grows (server.ts): over the listener's budget, the rest is not read.
      if (ticket && !ticket.take(b.length))
        return done(refusal('overloaded', 'the listener is receiving too many request bodies at once: retry later', RETRY_SOON_MS));
      chunks.push(b);
    };
    const onEnd = () => done();
    const onError = () => done(refusal('format-corrupt', 'the request could not be read to its end'));
    const onClose = () => done(refusal('format-corrupt', 'the client went away before the end of the request'));
    body.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
  let textBody: string;
  try {
    textBody = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Buffer.concat(chunks, bytes));
  } catch {
    throw refusal('format-corrupt', 'the JSON body is not UTF-8');
  }
  if (textBody.trim() === '') throw refusal('format-corrupt', 'the JSON body is empty');
  const depth = nesting(textBody);
  if (depth > JSON_MAX_DEPTH) throw refusal('format-corrupt', `the JSON body is nested deeper than ${JSON_MAX_DEPTH} levels`);
  try {
    return JSON.parse(textBody) as unknown;
  } catch (err) {
    throw refusal('format-corrupt', `the body is not JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}

/** The deepest nesting of [ and { outside strings (malformed text is JSON.parse's to refuse). */
function nesting(s: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > JSON_MAX_DEPTH) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
