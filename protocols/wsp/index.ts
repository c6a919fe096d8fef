/** WSP encoding primitives (WAP-230-WSP 8.4, 8.5) shared by MMS PDUs and WAP push. */
export { PduError, type PduErrorCode } from './errors.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { CHARSETS, charsetFromMib, mibOf, decodeText, encodeText, type Charset, type CharsetName } from './charsets.js';
export { WELL_KNOWN_CONTENT_TYPES, contentTypeCode, contentTypeName, isMultipart } from './content-types.js';
export { WELL_KNOWN_HEADERS, headerName } from './header-names.js';
export { WELL_KNOWN_PARAMS, type ParamForm } from './params.js';
export type { CharsetText, ContentDisposition, ContentType, EncodedStringValue, ExtraHeader, ParamValue, Part } from './model.js';
export {
  readEncodedString,
  writeEncodedString,
  textOf,
  readContentType,
  writeContentType,
  mediaTypeOf,
  readParams,
  writeParams,
  readContentDisposition,
  writeContentDisposition,
  writeExtraHeader,
} from './values.js';
export { readMultipart, writeMultipart, DEFAULT_MULTIPART_LIMITS, type MultipartLimits } from './multipart.js';
