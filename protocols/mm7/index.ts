/** MM7 (3GPP TS 23.140 §8.7, SOAP 1.1 between MMSC and VASP): typed model, parser, builder. No I/O. */
export { parseMm7 } from './parse.js';
export { buildMm7, errorFault } from './build.js';
export { Mm7Error, ERROR_STATUS, type Mm7ErrorCode, type Mm7ErrorContext } from './errors.js';
export { MM7_STATUS, MM7_CODE, statusText, isMm7StatusCode, isSuccess, type Mm7StatusCode } from './status.js';
export {
  MM7_SCHEMAS,
  MM7_SCHEMA_BASE,
  DEFAULT_MM7_NAMESPACE,
  SOAP_ENV_NS,
  schemaForNamespace,
  schemaForVersion,
  namespaceFor,
  isMm7Namespace,
  isSupportedVersion,
  knownSchemas,
  type Mm7Schema,
  type Mm7SchemaId,
} from './versions.js';
export { DEFAULT_LIMITS, type Mm7Limits } from './xml.js';
export {
  MESSAGE_CLASSES,
  PRIORITIES,
  CHARGED_PARTIES,
  DELIVERY_STATUSES,
  READ_STATUSES,
  isRelative,
} from './values.js';
export type * from './model.js';
