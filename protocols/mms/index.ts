/** Binary MMS PDUs (OMA-TS-MMS_ENC-V1_3): typed model, decoder, encoder. */
export { decodePdu, type DecodeOptions } from './decode.js';
export { encodePdu, encodePduChunks } from './encode.js';
export { FIELDS, FIELD_BY_KEY, type FieldSpec, type FieldKey } from './fields.js';
export * from './model.js';
export * from './tables.js';
export { PduError, type PduErrorCode } from '../wsp/errors.js';
export { textOf, mediaTypeOf } from '../wsp/values.js';
export type { CharsetText, ContentDisposition, ContentType, EncodedStringValue, ExtraHeader, ParamValue, Part } from '../wsp/model.js';
export type { Charset } from '../wsp/charsets.js';
export { pduToJson, pduFromJson, partName, type Json, type JsonOptions, type FileLoader } from './json.js';
