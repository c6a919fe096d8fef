import { HTTP_STATUS } from '../../transport/http-status.js';
import { answers } from './responses.js';
import { MESSAGE_STATUSES, ref } from './schemas.js';
import type { Needs, Operation, Parameter, PathItem, Reference } from './types.js';

/**
 * The operations of the REST API (issue 24) and the webhook the gateway calls. Each names
 * the scope an API key needs (`x-mmsc-needs`, the route's `needs`): test/rest/openapi.test.ts holds the
 * document and the dispatcher's route table (src/rest/api.ts) to each other, both ways.
 */

/** Every way to authenticate; an API key needs the scope `needs` (or `full`). */
const auth = (needs: Exclude<Needs, 'none'>): Record<string, string[]>[] => [{ basic: [] }, { bearer: [needs] }, { mutualTLS: [] }];

const param = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
const json = (schemaName: string) => ({ 'application/json': { schema: ref(schemaName) } });

export const PARAMETERS: Record<string, Parameter> = {
  MessageId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The message id (messageId).',
    schema: { type: 'string', minLength: 1 },
  },
  MediaId: { name: 'id', in: 'path', required: true, description: 'The upload id (mediaId).', schema: { type: 'string', minLength: 1 } },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'Makes the submission safe to retry: the same key with the same body within 24 h answers the first answer again ' +
      '(with Idempotent-Replayed: true) and sends nothing; the same key with another body is 422 idempotency-conflict; ' +
      'while the first is still in progress, 409. Keys are per account, shared by every instance.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
  },
};

const submitMessage: Operation = {
  operationId: 'submitMessage',
  summary: 'Send a message',
  description:
    'Takes a message for one or more recipients, as JSON (media by URL or upload id) or as a multipart form (files uploaded ' +
    'with it). Checked as an MM7 SubmitReq is (senders, addresses, sizes, rates), then queued, or scheduled when `sendAt` is ' +
    'in the future. Events about each recipient go to `callbackUrl` (webhook `senderEvent`).',
  tags: ['messages'],
  security: auth('send'),
  'x-mmsc-needs': 'send',
  parameters: [param('IdempotencyKey')],
  requestBody: {
    description: 'The message.',
    required: true,
    content: {
      'application/json': {
        schema: ref('SubmitJson'),
        examples: {
          receipt: {
            summary: 'A receipt with a hosted image',
            value: {
              to: '+14155550100',
              subject: 'Your receipt',
              text: 'Thanks!',
              media: ['https://cdn.example/r.jpg'],
              callbackUrl: 'https://hooks.example/mms',
              clientRef: 'order-1234',
            },
          },
        },
      },
      'multipart/form-data': { schema: ref('SubmitForm') },
    },
  },
  responses: answers(
    {
      [HTTP_STATUS.ACCEPTED]: {
        description: 'Accepted (or scheduled): read its state at the Location.',
        headers: {
          Location: { $ref: '#/components/headers/Location' },
          'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
        },
        content: json('Accepted'),
      },
    },
    [
      'BAD_REQUEST',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'CONFLICT',
      'TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'UNPROCESSABLE',
      'THROTTLED',
      'INTERNAL',
      'UNAVAILABLE',
    ],
  ),
};

const listMessages: Operation = {
  operationId: 'listMessages',
  summary: 'List messages',
  description: "The account's messages, newest first, filtered; a page at a time (follow `next`).",
  tags: ['messages'],
  security: auth('read'),
  'x-mmsc-needs': 'read',
  parameters: [
    { name: 'status', in: 'query', description: 'Only messages in this state.', schema: { type: 'string', enum: MESSAGE_STATUSES } },
    { name: 'recipient', in: 'query', description: 'Only messages to this number (E.164).', schema: { type: 'string' } },
    { name: 'clientRef', in: 'query', description: 'Only messages with this clientRef.', schema: { type: 'string', maxLength: 128 } },
    { name: 'from', in: 'query', description: 'Submitted at or after (RFC 3339).', schema: { type: 'string', format: 'date-time' } },
    { name: 'to', in: 'query', description: 'Submitted before (RFC 3339).', schema: { type: 'string', format: 'date-time' } },
    { name: 'limit', in: 'query', description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
    { name: 'cursor', in: 'query', description: 'The `next` of the previous page (opaque).', schema: { type: 'string' } },
  ],
  responses: answers({ [HTTP_STATUS.OK]: { description: 'A page of messages.', content: json('MessageList') } }, [
    'BAD_REQUEST',
    'UNAUTHORIZED',
    'FORBIDDEN',
    'INTERNAL',
    'UNAVAILABLE',
  ]),
};

/** What a read of one resource by id may answer besides its success. */
const LOOKUP_ERRORS = ['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'INTERNAL', 'UNAVAILABLE'] as const;

const getMessage: Operation = {
  operationId: 'getMessage',
  summary: "Read a message and its recipients' states",
  description: "One of the account's messages, sent over REST or MM7: its state and each recipient's history.",
  tags: ['messages'],
  security: auth('read'),
  'x-mmsc-needs': 'read',
  parameters: [param('MessageId')],
  responses: answers({ [HTTP_STATUS.OK]: { description: 'The message.', content: json('Message') } }, LOOKUP_ERRORS),
};

const cancelMessage: Operation = {
  operationId: 'cancelMessage',
  summary: 'Cancel a message',
  description: 'Cancels what has not gone yet: a scheduled message, or the recipients still queued. Nothing left to cancel: 409 too-late.',
  tags: ['messages'],
  security: auth('send'),
  'x-mmsc-needs': 'send',
  parameters: [param('MessageId')],
  responses: answers({ [HTTP_STATUS.OK]: { description: 'Cancelled.', content: json('Cancelled') } }, [
    'BAD_REQUEST',
    'UNAUTHORIZED',
    'FORBIDDEN',
    'NOT_FOUND',
    'CONFLICT',
    'INTERNAL',
    'UNAVAILABLE',
  ]),
};

const uploadMedia: Operation = {
  operationId: 'uploadMedia',
  summary: 'Upload media',
  description:
    'Keeps the body (its real type sniffed from the bytes and checked against its Content-Type) for api.media.uploadTtlMs, ' +
    'to be named by its id in submissions.',
  tags: ['media'],
  security: auth('send'),
  'x-mmsc-needs': 'send',
  parameters: [{ name: 'filename', in: 'query', description: "The part's Content-Location in messages.", schema: { type: 'string' } }],
  requestBody: {
    description: 'The bytes, with their Content-Type (e.g. image/jpeg).',
    required: true,
    content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
  },
  responses: answers(
    {
      [HTTP_STATUS.CREATED]: {
        description: "Kept: name `mediaId` in a submission's `media`.",
        headers: { Location: { $ref: '#/components/headers/Location' } },
        content: json('Media'),
      },
    },
    [
      'BAD_REQUEST',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'UNPROCESSABLE',
      'THROTTLED',
      'INTERNAL',
      'UNAVAILABLE',
    ],
  ),
};

const getMedia: Operation = {
  operationId: 'getMedia',
  summary: 'Read an upload',
  description: 'An upload of the account, while it is kept.',
  tags: ['media'],
  security: auth('read'),
  'x-mmsc-needs': 'read',
  parameters: [param('MediaId')],
  responses: answers({ [HTTP_STATUS.OK]: { description: 'The upload.', content: json('Media') } }, LOOKUP_ERRORS),
};

const getOpenApi: Operation = {
  operationId: 'getOpenApi',
  summary: 'This document',
  description: 'The OpenAPI 3.1 description of the API, without credentials.',
  tags: ['meta'],
  security: [],
  'x-mmsc-needs': 'none',
  responses: {
    [HTTP_STATUS.OK]: {
      description: 'The OpenAPI document.',
      content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } },
    },
  },
};

export const PATHS: Record<string, PathItem> = {
  '/v1/messages': { post: submitMessage, get: listMessages },
  '/v1/messages/{id}': { get: getMessage, delete: cancelMessage },
  '/v1/media': { post: uploadMedia },
  '/v1/media/{id}': { get: getMedia },
  '/v1/openapi.json': { get: getOpenApi },
};

/** How a receiver checks Mmsc-Signature: a few lines, for the webhook's description. */
const VERIFY = `\`\`\`js
import { createHmac, timingSafeEqual } from 'node:crypto';
// header: the Mmsc-Signature value; raw: the body's bytes, unparsed; secret: your webhook secret.
function verified(secret, header, raw) {
  const t = /(?:^|,)t=(\\d+)/.exec(header)?.[1];
  if (t === undefined || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const want = createHmac('sha256', secret).update(\`\${t}.\`).update(raw).digest();
  return [...header.matchAll(/v1=([0-9a-f]{64})/g)].some(([, v]) => timingSafeEqual(Buffer.from(v, 'hex'), want));
}
\`\`\``;

const senderEvent: Operation = {
  operationId: 'senderEvent',
  summary: "An event about a message's recipient",
  description:
    "POSTed to the message's callbackUrl (its failoverUrl when callbackUrl keeps failing), one event per request. " +
    'A 2xx answer is done; anything else is retried with backoff for up to 24 h: at least once, so deduplicate on `eventId`. ' +
    'Verify Mmsc-Signature before trusting the body, over the raw bytes as received (Node.js):\n\n' +
    VERIFY,
  tags: ['events'],
  security: [],
  parameters: [
    {
      name: 'Mmsc-Signature',
      in: 'header',
      required: true,
      description:
        '`t=<unix seconds>,v1=<hex>[,v1=<hex>]`: each v1 is HMAC-SHA256(secret, `<t>.<raw body>`) in lower-case hex, one per ' +
        'current webhook secret of the account (two during a rotation). Accept the event when one v1 matches one of your ' +
        'secrets (compare in constant time) and t is recent (e.g. within 5 minutes).',
      schema: { type: 'string', pattern: '^t=[0-9]+(,v1=[0-9a-f]{64})+$' },
    },
    { name: 'Mmsc-Event-Id', in: 'header', required: true, description: "The body's eventId.", schema: { type: 'string' } },
  ],
  requestBody: { description: 'The event.', required: true, content: json('SenderEvent') },
  responses: {
    '2XX': { description: 'Taken: not sent again.' },
    default: { description: 'Not taken: sent again later, with backoff, for up to 24 h.' },
  },
};

export const WEBHOOKS: Record<string, PathItem> = { senderEvent: { post: senderEvent } };
