// The one error type protocols/mime throws for bad input. `code` is stable: the
// MM7 server maps it to an HTTP status / MM7 fault without parsing messages.

export type MimeErrorCode =
  | 'BAD_CONTENT_TYPE' // unparseable Content-Type value (RFC 2045 §5.1)
  | 'NO_BOUNDARY' // multipart/* without a boundary parameter (RFC 2046 §5.1.1)
  | 'MALFORMED' // no opening boundary, no closing boundary before the end, garbage where a header block should be
  | 'TOO_LARGE' // input over limits.maxBytes
  | 'TOO_MANY_PARTS' // more entities than limits.maxParts, all levels counted
  | 'TOO_DEEP' // multipart nested over limits.maxDepth levels
  | 'HEADER_TOO_LARGE' // a header block over limits.maxHeaderBytes, or over limits.maxHeaders lines
  | 'BAD_ENCODING'; // Content-Transfer-Encoding we cannot undo (RFC 2045 §6.1)

export class MimeError extends Error {
  override readonly name = 'MimeError';
  readonly code: MimeErrorCode;

  constructor(code: MimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
