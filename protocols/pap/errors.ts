/**
 * The one error type protocols/pap throws. `code` is stable so that a sender can map it without parsing
 * messages: INVALID_MESSAGE is ours (a push the builder cannot write), every other code is about the PPG's answer.
 */
export type PapErrorCode =
  | 'INVALID_MESSAGE' // buildPapRequest was handed a push it cannot serialise (bad address, push-id, date, header)
  | 'TOO_LARGE' // the answer is above limits.maxBytes
  | 'NOT_XML' // not well-formed XML, undecodable bytes, or a reference to an undeclared entity
  | 'DOCTYPE' // a DTD internal subset or markup declaration (<!ENTITY ...>): never expanded, always refused
  | 'TOO_MANY_ELEMENTS' // more start tags than limits.maxElements
  | 'TOO_MANY_ATTRIBUTES' // more attributes than limits.maxAttributes
  | 'TOO_MANY_TOKENS' // more tokens (tags, attributes, references ...) than limits.maxTokens
  | 'TOO_DEEP' // nesting deeper than limits.maxDepth
  | 'NOT_PAP' // well-formed, but the root is not <pap> holding exactly one element
  | 'UNEXPECTED_RESPONSE' // a PAP document, but neither push-response nor badmessage-response
  | 'MISSING_FIELD' // a mandatory attribute or element (WAP-247-PAP §9.3, §9.12) is absent
  | 'BAD_CODE'; // a result code that is not a four-digit PAP status code (§9.13)

export class PapError extends Error {
  override readonly name = 'PapError';
  constructor(
    readonly code: PapErrorCode,
    /** The message without the code prefix. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
  }
}
