import type { Mm7StatusCode } from './status.js';

/**
 * The one error type parseMm7/buildMm7 throw. `code` is stable; `status` is the MM7 StatusCode the server
 * should answer with (in an RSErrorRsp inside a SOAP Fault), chosen by ERROR_STATUS below.
 */
export type Mm7ErrorCode =
  | 'NOT_XML' // not well-formed (or not namespace-well-formed) XML, or undecodable bytes
  | 'DOCTYPE' // a DOCTYPE or other markup declaration: never expanded, always refused
  | 'NOT_SOAP' // well-formed, but no SOAP 1.1 Envelope/Body
  | 'UNKNOWN_OPERATION' // the Body's element is not an MM7 operation
  | 'MISSING_ELEMENT' // a mandatory element (schema minOccurs=1) is absent or empty
  | 'BAD_VALUE' // an element or attribute value of the wrong form (boolean, date, enum, number, address)
  | 'UNSUPPORTED_VERSION' // namespace not MM7 REL-5/REL-6, or MM7Version not 5.x.y / 6.x.y
  | 'TOO_LARGE' // input above limits.maxBytes
  | 'TOO_MANY_ELEMENTS' // more start tags than limits.maxElements
  | 'TOO_MANY_ATTRIBUTES' // more attributes than limits.maxAttributes
  | 'TOO_MANY_TOKENS' // more tokens (tags, attributes, references ...) than limits.maxTokens
  | 'TOO_DEEP' // nesting deeper than limits.maxDepth
  | 'BUILD_INVALID'; // buildMm7 was handed a message it cannot serialise

/**
 * Error code -> MM7 StatusCode (TS 23.140 §8.7 status code table). The spec separates:
 * - 4004 Validation error: "the SOAP and XML structures could not be parsed, mandatory fields are missing,
 *   or the message format is not compatible" -> everything structural, including refused DOCTYPEs and the
 *   size/count/depth limits (the document is refused before it is understood);
 * - 2007 Message format corrupt: "an element value format is inappropriate or incorrect" -> BAD_VALUE only
 *   (a well-formed request with e.g. DeliveryReport=maybe). Some vendors (Sinch) answer 2007 to unparsable
 *   XML too; we follow the spec's split;
 * - 4002 Unsupported version; 4003 Unsupported operation: used as named.
 * BUILD_INVALID is our own bug, so 3000 Server Error.
 */
export const ERROR_STATUS = {
  NOT_XML: 4004,
  DOCTYPE: 4004,
  NOT_SOAP: 4004,
  UNKNOWN_OPERATION: 4003,
  MISSING_ELEMENT: 4004,
  BAD_VALUE: 2007,
  UNSUPPORTED_VERSION: 4002,
  TOO_LARGE: 4004,
  TOO_MANY_ELEMENTS: 4004,
  TOO_MANY_ATTRIBUTES: 4004,
  TOO_MANY_TOKENS: 4004,
  TOO_DEEP: 4004,
  BUILD_INVALID: 3000,
} as const satisfies Record<Mm7ErrorCode, Mm7StatusCode>;

/** What the parser had read before it failed, so the server can still answer in the sender's terms. */
export interface Mm7ErrorContext {
  transactionId?: string;
  namespace?: string;
  mm7Version?: string;
  /** Local name of the Body's operation element, when reached (e.g. 'SubmitReq'). */
  operation?: string;
}

export class Mm7Error extends Error {
  override readonly name = 'Mm7Error';
  readonly status: Mm7StatusCode;
  readonly transactionId?: string;
  readonly namespace?: string;
  readonly mm7Version?: string;
  readonly operation?: string;

  constructor(
    readonly code: Mm7ErrorCode,
    /** One line for Status/Details: names the element or limit; never echoes values (addresses stay out of logs). */
    readonly detail: string,
    context: Mm7ErrorContext = {},
  ) {
    super(`${code}: ${detail}`);
    this.status = ERROR_STATUS[code];
    if (context.transactionId !== undefined) this.transactionId = context.transactionId;
    if (context.namespace !== undefined) this.namespace = context.namespace;
    if (context.mm7Version !== undefined) this.mm7Version = context.mm7Version;
    if (context.operation !== undefined) this.operation = context.operation;
  }
}
