import { MESSAGE_STATUSES, type MessageStatus } from '../message-status.js';

export { MESSAGE_STATUSES, type MessageStatus };
import type { RecipientState } from '../../core/message.js';
import { REFUSALS, type RefusalCode } from '../../core/refusals.js';
import { SENDER_EVENT_TYPES } from '../../core/sender-events.js';
import { REST_ERRORS } from '../errors.js';
import type { Schema, SchemaObject } from './types.js';

/**
 * The components.schemas of the API's OpenAPI document: the bodies of the sender's API (issue 24). The enums
 * come from the code where the code has them (refusal catalogue, REST error codes, sender event types), so
 * that the document cannot say other than what the gateway answers. Request bodies are closed
 * (additionalProperties: false: an unknown field is refused); answers are closed too, but for the error
 * object, whose details are open by design (`recipient`, `reason`, `url`, `field` and more).
 */

export const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

/** The refusal catalogue's codes (docs/refusals.md). */
export const REFUSAL_CODES = Object.keys(REFUSALS) as RefusalCode[];

/** A recipient's delivery state (src/core/message.ts RecipientState): every one, checked by the compiler. */
export const RECIPIENT_STATES = [
  'queued',
  'delivering',
  'retrying',
  'deferred',
  'notified',
  'delivered',
  'rejected',
  'failed',
  'expired',
  'cancelled',
] as const satisfies readonly RecipientState[];
// A state added to RecipientState and not here fails to compile here.
const _everyState: [Exclude<RecipientState, (typeof RECIPIENT_STATES)[number]>] extends [never] ? true : never = true;
void _everyState;

/** A message's state as a whole (issue 24): completed = every recipient in a final state. */

/** Why a number is not one (libphonenumber-js's validation results), in an address-error's `reason`. */
export const NUMBER_REASONS = ['INVALID_COUNTRY', 'TOO_SHORT', 'TOO_LONG', 'NOT_A_NUMBER', 'INVALID_LENGTH', 'INVALID_FOR_REGION'] as const;

const time = (description: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const text = (description: string, more: SchemaObject = {}): SchemaObject => ({ type: 'string', description, ...more });
const url = (description: string): SchemaObject => ({ type: 'string', format: 'uri', description });

const E164: SchemaObject = text('A phone number in E.164 form (validated for its country with libphonenumber-js).', {
  pattern: '^\\+[1-9][0-9]{1,14}$',
  examples: ['+14155550100'],
});

/** A media reference of a JSON submission: a URL, an upload's id, or either with its declared type and name. */
const MEDIA_REF: Schema = {
  oneOf: [
    text('An http(s) URL the gateway fetches (and keeps, revalidated by its caching headers), or an upload id `med_...`.', {
      minLength: 1,
    }),
    {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: text('An http(s) URL or an upload id `med_...`.', { minLength: 1 }),
        contentType: text('The declared media type: the bytes are sniffed and must be of it (else 422 content-type-mismatch).'),
        filename: text("The part's Content-Location; default: the URL's last path segment or the upload's filename."),
      },
    },
  ],
};

const SUBMIT_JSON: SchemaObject = {
  type: 'object',
  description: 'A JSON submission. Unknown fields are refused (400 validation-error naming the field).',
  additionalProperties: false,
  required: ['to'],
  anyOf: [{ required: ['text'] }, { required: ['media'] }],
  not: { required: ['validity', 'expiresAt'] },
  properties: {
    to: {
      description: 'The recipients: one number or a list. A number that is not one is 400 address-error with `recipient` and `reason`.',
      oneOf: [E164, { type: 'array', items: E164, minItems: 1 }],
    },
    from: text("One of the account's senders; default: its first."),
    subject: text('The subject.'),
    text: text('A text part (UTF-8), presented first.'),
    media: { type: 'array', description: 'Media parts, in order.', items: ref('MediaRef'), minItems: 1 },
    callbackUrl: url('Where the events about the message are POSTed, signed (see the webhook `senderEvent`).'),
    failoverUrl: url('Where the events go when callbackUrl keeps failing.'),
    sendAt: time('Send at this time (RFC 3339 with an offset): the message is `scheduled` until then.'),
    validity: { type: 'integer', minimum: 1, description: 'Seconds the message may wait for delivery (or give expiresAt).' },
    expiresAt: time('When the message expires undelivered (or give validity).'),
    clientRef: text('Your reference, echoed in every event.', { maxLength: 128 }),
    readReport: {
      type: 'boolean',
      default: false,
      description: 'Ask the handset for a read report (a `read` event); handsets may ask their user first. Needs callbackUrl.',
    },
    class: {
      type: 'string',
      enum: ['transactional', 'marketing'],
      default: 'transactional',
      description: "Marketing messages need the subscriber's opt-in and obey frequency caps and quiet hours.",
    },
    fallback: {
      type: 'object',
      additionalProperties: false,
      required: ['sms'],
      description: 'An SMS with the web-view link when the handset cannot take MMS.',
      properties: {
        sms: { type: 'boolean', description: 'Send the SMS fallback.' },
        text: text('The text before the link.'),
      },
    },
  },
};

const SUBMIT_FORM: SchemaObject = {
  type: 'object',
  description:
    'A form submission: the text fields below (only `to` may repeat; an unknown text field is 400 validation-error), ' +
    'and any number of files under any field name, each one part of the message with its own Content-Type.',
  required: ['to'],
  properties: {
    to: {
      description: 'A recipient; repeat the field for more.',
      oneOf: [text('A number, short code or e-mail address.'), { type: 'array', items: { type: 'string' } }],
    },
    from: text("One of the account's senders; default: its first."),
    subject: text('The subject.'),
    text: text('A text part.'),
    callbackUrl: url('Where the events about the message are POSTed.'),
    expiry: text('Seconds the message may wait for delivery.', { pattern: '^[1-9][0-9]*$' }),
  },
  additionalProperties: { type: 'string', contentMediaType: 'application/octet-stream', description: 'A file: one part.' },
};

const ACCEPTED: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['messageId', 'recipients', 'status'],
  properties: {
    messageId: text('The message id: GET /v1/messages/{id} (the Location header).', { minLength: 1 }),
    recipients: { type: 'integer', minimum: 1, description: 'How many recipients the message has.' },
    status: { type: 'string', enum: ['accepted', 'scheduled'], description: '`scheduled` when sendAt is in the future.' },
    sendAt: time('When it will be sent (scheduled).'),
    clientRef: text('Your reference, as given.'),
  },
};

const EVENT: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'state', 'attempt'],
  properties: {
    at: time('When.'),
    state: { type: 'string', enum: RECIPIENT_STATES },
    attempt: { type: 'integer', minimum: 0, description: 'The delivery attempt it belongs to.' },
    detail: text('What happened, in words.'),
  },
};

const MESSAGE: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['messageId', 'from', 'submittedAt', 'expiresAt', 'status', 'recipients'],
  properties: {
    messageId: text('The message id.'),
    from: text('The sender.'),
    subject: text('The subject.'),
    submittedAt: time('When it was accepted.'),
    expiresAt: time('When it expires undelivered.'),
    sendAt: time('When it is (or was) to be sent, if scheduled.'),
    clientRef: text('Your reference.'),
    class: { type: 'string', enum: ['transactional', 'marketing'] },
    status: ref('MessageStatus'),
    recipients: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address', 'kind', 'state', 'events'],
        properties: {
          address: text('The recipient as addressed.'),
          kind: { type: 'string', enum: ['to', 'cc', 'bcc'] },
          state: { type: 'string', enum: RECIPIENT_STATES },
          events: { type: 'array', items: ref('RecipientEvent'), description: 'Its history, oldest first.' },
        },
      },
    },
  },
};

const SUMMARY: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['messageId', 'from', 'submittedAt', 'status', 'recipients'],
  properties: {
    messageId: text('The message id.'),
    from: text('The sender.'),
    submittedAt: time('When it was accepted.'),
    sendAt: time('When it is (or was) to be sent, if scheduled.'),
    clientRef: text('Your reference.'),
    status: ref('MessageStatus'),
    recipients: { type: 'integer', minimum: 1, description: 'How many recipients.' },
  },
};

const MEDIA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['mediaId', 'contentType', 'size', 'expiresAt'],
  properties: {
    mediaId: text("Name it in a submission's `media`.", { pattern: '^med_' }),
    contentType: text('The type the bytes are (sniffed).'),
    size: { type: 'integer', minimum: 0, description: 'Bytes.' },
    expiresAt: time('When the upload is forgotten (api.media.uploadTtlMs after it).'),
  },
};

const SENDER_EVENT: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'type', 'at', 'messageId', 'recipient'],
  properties: {
    eventId: text('The same on every attempt to deliver this event: deduplicate on it.', { minLength: 1 }),
    type: { type: 'string', enum: SENDER_EVENT_TYPES },
    at: time('When it happened.'),
    messageId: text('The message.'),
    recipient: text('The recipient it is about.'),
    clientRef: text("The submission's clientRef."),
    code: { type: 'string', enum: REFUSAL_CODES, description: "On failures: the refusal catalogue's code (docs/refusals.md)." },
    detail: text('What happened, in words.'),
    url: url('media-unavailable: the URL that could not be fetched.'),
  },
};

/** The error object: the HTTP status and its short code always, the catalogue's code when it is a refusal. */
const ERROR: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      description: 'Beside status, code and message, details that depend on the error (open: more may be added).',
      required: ['status', 'code', 'message'],
      additionalProperties: true,
      properties: {
        status: { type: 'integer', enum: Object.values(REST_ERRORS), description: 'The HTTP status, again.' },
        code: { type: 'string', enum: Object.keys(REST_ERRORS), description: "The HTTP status's short code." },
        message: text('What is wrong, for people.', { minLength: 1 }),
        refusal: { type: 'string', enum: REFUSAL_CODES, description: "The refusal catalogue's code (docs/refusals.md)." },
        recipient: text('address-error: the recipient that is not a valid address.'),
        reason: text(
          'address-error: why (INVALID_COUNTRY, TOO_SHORT, TOO_LONG, NOT_A_NUMBER, INVALID_LENGTH, INVALID_FOR_REGION); media-unavailable: the failure.',
        ),
        url: text('media-unavailable, content-type-mismatch: the media URL or id.'),
        field: text('validation-error: the field.'),
      },
    },
  },
};

export const SCHEMAS: Record<string, Schema> = {
  SubmitJson: SUBMIT_JSON,
  SubmitForm: SUBMIT_FORM,
  MediaRef: MEDIA_REF,
  Accepted: ACCEPTED,
  MessageStatus: { type: 'string', enum: MESSAGE_STATUSES, description: 'completed: every recipient is in a final state.' },
  RecipientEvent: EVENT,
  Message: MESSAGE,
  MessageSummary: SUMMARY,
  MessageList: {
    type: 'object',
    additionalProperties: false,
    required: ['messages'],
    properties: {
      messages: { type: 'array', items: ref('MessageSummary'), maxItems: 100 },
      next: text('Pass as `cursor` for the next page; absent on the last page.', { minLength: 1 }),
    },
  },
  Cancelled: {
    type: 'object',
    additionalProperties: false,
    required: ['messageId', 'status', 'cancelled'],
    properties: {
      messageId: text('The message.'),
      status: { type: 'string', const: 'cancelled' },
      cancelled: { type: 'integer', minimum: 1, description: 'How many recipients were cancelled.' },
    },
  },
  Media: MEDIA,
  SenderEvent: SENDER_EVENT,
  Error: ERROR,
};
