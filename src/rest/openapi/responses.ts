import { REFUSALS, type RefusalCode } from '../../core/refusals.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { REST_ERRORS, type RestErrorCode } from '../errors.js';
import { ref } from './schemas.js';
import type { Header, Reference, Response, Schema } from './types.js';

/**
 * The error answers of the OpenAPI document, one response per REST error code (src/rest/errors.ts), each
 * binding the body's `status` and `code` to the answer's HTTP status and `refusal` to the catalogue's codes of
 * that status (src/core/refusals.ts): a 400 that says NOT_FOUND, or a 403 with a 422's refusal, does not match.
 */

/** The header objects (components.headers). */
export const HEADERS: Record<string, Header> = {
  Location: { description: 'Where the resource created is read.', required: true, schema: { type: 'string', pattern: '^/v1/' } },
  RetryAfter: {
    description: 'Seconds to wait before trying again (RFC 9110 §10.2.3).',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  Allow: { description: 'The methods the path takes (RFC 9110 §10.2.1).', required: true, schema: { type: 'string' } },
  WwwAuthenticate: {
    description: 'The challenge (RFC 9110 §11.6.1): HTTP Basic; an API key is sent as `Authorization: Bearer <key>`.',
    required: true,
    schema: { type: 'string' },
  },
  IdempotentReplayed: {
    description: 'The answer to an earlier request with the same Idempotency-Key and body, given again.',
    schema: { type: 'string', const: 'true' },
  },
};

const header = (name: string, required = true): Header | Reference =>
  required ? { $ref: `#/components/headers/${name}` } : { ...HEADERS[name]!, required: false };

/** What each error means, for people (the catalogue says which refusal it is). */
const MEANINGS: Record<RestErrorCode, string> = {
  BAD_REQUEST: 'The request is malformed or invalid: a field, an address, the path.',
  FORBIDDEN: "Not allowed: this sender, this API key's scope, the recipient's consent or opt-out, a frequency cap.",
  NOT_FOUND: "No such resource for this account (another account's is answered the same).",
  METHOD_NOT_ALLOWED: 'The path does not take this method: the Allow header says which it takes.',
  CONFLICT: 'Too late (nothing left to cancel), or the first request with this Idempotency-Key is still in progress.',
  UNPROCESSABLE:
    'Well-formed but not carried out: media unavailable, media of another type than declared, an Idempotency-Key reused with another body.',
  TOO_LARGE: 'Over a size limit (the request, the message, a file).',
  UNSUPPORTED_MEDIA_TYPE: "The request's Content-Type is not one this operation takes.",
  THROTTLED: "Over the account's rate or requests in progress: try again after Retry-After.",
  INTERNAL: 'The gateway failed.',
  UNAVAILABLE: 'The gateway or its store is busy or unreachable: try again (after Retry-After when given).',
};

/** The refusal codes answered with `status`. */
function refusalsOf(status: number): RefusalCode[] {
  return (Object.entries(REFUSALS) as [RefusalCode, { http: number }][]).filter(([, e]) => e.http === status).map(([c]) => c);
}

function errorResponse(code: RestErrorCode): Response {
  const status = REST_ERRORS[code];
  const refusals = refusalsOf(status);
  // No refusal has this status: the member is absent (a `false` schema).
  const refusal: Schema = refusals.length > 0 ? { type: 'string', enum: refusals } : false;
  const response: Response = {
    description: `${MEANINGS[code]}${refusals.length > 0 ? ` Refusals: ${refusals.map((r) => `\`${r}\``).join(', ')}.` : ''}`,
    content: {
      'application/json': {
        schema: {
          allOf: [ref('Error'), { properties: { error: { properties: { status: { const: status }, code: { const: code }, refusal } } } }],
        },
      },
    },
  };
  if (code === 'THROTTLED') response.headers = { 'Retry-After': header('RetryAfter') };
  if (code === 'UNAVAILABLE') response.headers = { 'Retry-After': header('RetryAfter', false) };
  if (code === 'METHOD_NOT_ALLOWED') response.headers = { Allow: header('Allow') };
  return response;
}

/** The 401 and 403 the listener answers before the API (no or wrong credentials, a source address not allowed): plain text. */
const PLAIN = { 'text/plain': { schema: { type: 'string' } } } as const;

export const RESPONSES: Record<string, Response> = {
  ...(Object.fromEntries((Object.keys(REST_ERRORS) as RestErrorCode[]).map((c) => [c, errorResponse(c)])) as Record<string, Response>),
  UNAUTHORIZED: {
    description: 'No credentials, or wrong ones: answered by the listener in plain text, with the challenge.',
    headers: { 'WWW-Authenticate': header('WwwAuthenticate') },
    content: PLAIN,
  },
};

// A 403 is the API's (JSON: the key's scope, the sender, consent) or the listener's (plain text: a source
// address the account does not allow).
RESPONSES.FORBIDDEN = {
  ...RESPONSES.FORBIDDEN!,
  content: { ...RESPONSES.FORBIDDEN!.content, ...PLAIN },
};

/** The answers of an operation, by status: the success ones given, the errors named by their REST code. */
export function answers(
  success: Record<string, Response>,
  errors: readonly (RestErrorCode | 'UNAUTHORIZED')[],
): Record<string, Response | Reference> {
  const out: Record<string, Response | Reference> = { ...success };
  for (const code of errors) {
    const status = code === 'UNAUTHORIZED' ? HTTP_STATUS.UNAUTHORIZED : REST_ERRORS[code];
    out[String(status)] = { $ref: `#/components/responses/${code}` };
  }
  return out;
}
