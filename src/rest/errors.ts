import { Refusal, type RefusalCode } from '../core/refusals.js';
import { HTTP_STATUS } from '../transport/http-status.js';

/** The REST API's error answers: short code -> HTTP status (the body carries both). */
export const REST_ERRORS = {
  BAD_REQUEST: HTTP_STATUS.BAD_REQUEST,
  FORBIDDEN: HTTP_STATUS.FORBIDDEN,
  NOT_FOUND: HTTP_STATUS.NOT_FOUND,
  METHOD_NOT_ALLOWED: HTTP_STATUS.METHOD_NOT_ALLOWED,
  CONFLICT: HTTP_STATUS.CONFLICT,
  UNPROCESSABLE: HTTP_STATUS.UNPROCESSABLE_CONTENT,
  TOO_LARGE: HTTP_STATUS.CONTENT_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HTTP_STATUS.UNSUPPORTED_MEDIA_TYPE,
  THROTTLED: HTTP_STATUS.TOO_MANY_REQUESTS,
  INTERNAL: HTTP_STATUS.INTERNAL_SERVER_ERROR,
  UNAVAILABLE: HTTP_STATUS.SERVICE_UNAVAILABLE,
} as const;
export type RestErrorCode = keyof typeof REST_ERRORS;

const CODE_OF_STATUS: ReadonlyMap<number, RestErrorCode> = new Map(
  (Object.entries(REST_ERRORS) as [RestErrorCode, number][]).map(([code, status]) => [status, code]),
);

/** The short code the error body names for an HTTP status (a refusal's is its catalogue entry's `http`). */
export function restErrorCode(status: number): RestErrorCode {
  const code = CODE_OF_STATUS.get(status);
  if (code === undefined) throw new RangeError(`no REST error code for HTTP ${status}`);
  return code;
}

/**
 * A request the REST API refuses: answered `{ error: { status, code, message } }` with `status`. A refusal
 * of the catalogue (`refused`) is answered with its entry's HTTP status; the others are the API's own
 * (no such path or method, our own failure).
 */
export class RestError extends Error {
  override readonly name = 'RestError';
  readonly status: number;
  constructor(
    readonly code: RestErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More members of the error object, beside status, code and message (e.g. `recipient`, `url`, `reason`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = REST_ERRORS[code];
  }
}

/**
 * The REST answer to a refusal: the entry's HTTP status; with Retry-After (RFC 9110 §10.2.3, whole seconds,
 * rounded up) when the refusal says when to try again, and always when throttled.
 */
export function refused(refusal: Refusal, details: Record<string, unknown> = {}): RestError {
  const retryAfterMs = refusal.retryAfterMs ?? (refusal.code === 'throttled' ? RETRY_SOON_MS : undefined);
  const headers: Record<string, string> =
    retryAfterMs !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {};
  // `refusal`: the catalogue's code (docs/refusals.md), finer than the HTTP-level `code`.
  return new RestError(restErrorCode(refusal.entry.http), refusal.message, headers, { refusal: refusal.code, ...details });
}

/** Retry-After of a transient refusal that has no wait of its own to give: one second. */
export const RETRY_SOON_MS = 1_000;

/** A refusal of the catalogue as a REST error (see `refused`). */
export function refusal(code: RefusalCode, message?: string, retryAfterMs?: number): RestError {
  return refused(new Refusal(code, message, retryAfterMs));
}
