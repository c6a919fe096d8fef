/** MM4 (3GPP TS 23.140 §8.4, MMS between MMS Relay/Servers over SMTP): typed model, parser, builder. No I/O. */
export { parseMm4, type Mm4ForwardHead, type ParseOptions } from './parse.js';
export { buildMm4, FIELDS, type BuildOptions } from './build.js';
export { Mm4Error, type Mm4ErrorCode } from './errors.js';
export { bareId, originatorSystemOf, parseDate, formatDate, encodeSubject, decodeSubject, type Mm4OriginatorSystem } from './fields.js';
export { parseMm4Address, formatMm4Address } from './addresses.js';
export { DEFAULT_MM4_LIMITS } from './model.js';
export {
  MM4_MESSAGE_TYPES,
  REQUEST_STATUSES,
  MM_STATUSES,
  READ_STATUSES,
  MESSAGE_CLASSES,
  PRIORITIES,
  SENDER_VISIBILITIES,
  type Mm4MessageType,
  type Mm4RequestStatus,
  type Mm4MmStatus,
  type Mm4ReadStatus,
  type Mm4MessageClass,
  type Mm4Priority,
  type Mm4SenderVisibility,
} from './values.js';
export type * from './model.js';
