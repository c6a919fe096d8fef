/**
 * HTTP status codes (RFC 9110 §15) the gateway answers with or reads in a peer's answer, by name. A refusal's
 * status is its entry's in src/core/refusals.ts; these are the others (success, a path or method that is not
 * served, a failure of our own) and the ones a peer's answer is judged by.
 */
export const HTTP_STATUS = {
  OK: 200,
  CREATED: 201,
  ACCEPTED: 202,
  NO_CONTENT: 204,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  GONE: 410,
  CONTENT_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  // Media by URL (issue 24): redirects and revalidation read in a media server's answer, 201 for an upload.
  MULTIPLE_CHOICES: 300,
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  NOT_MODIFIED: 304,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
  NOT_IMPLEMENTED: 501,
} as const;

/** 2xx (RFC 9110 §15.3): the peer took the request. */
export function isHttpSuccess(status: number): boolean {
  return status >= HTTP_STATUS.OK && status < 300;
}

/**
 * A peer's answer that says "not now" rather than "not this": 408 Request Timeout, 429 Too Many Requests and
 * every 5xx (RFC 9110 §15.5.9, RFC 6585 §4, §15.6); any other 4xx is the request's fault (or our credentials').
 */
export function isHttpRetryable(status: number): boolean {
  return status === HTTP_STATUS.REQUEST_TIMEOUT || status === HTTP_STATUS.TOO_MANY_REQUESTS || status >= HTTP_STATUS.INTERNAL_SERVER_ERROR;
}
