// Public API of the MIME codec (RFC 2045, 2046, 2047, 2231, 2387, 2392): pure, no I/O.
export { MimeError } from './errors.js';
export type { MimeErrorCode } from './errors.js';
export { parseContentType, contentTypeParams, formatContentType } from './content-type.js';
export type { ContentType, ContentTypeParam } from './content-type.js';
export { MimeHeaders } from './headers.js';
export type { MimeHeader } from './headers.js';
export { decodeEncodedWords } from './encoded-words.js';
export { DEFAULT_MIME_LIMITS } from './model.js';
export type { MimeEntity, MimeLimits, OutboundPart, OutboundMultipart, PartSink, StreamOptions } from './model.js';
export { parseMultipart, parseSinglePart } from './multipart.js';
export { startPart, findPart, hrefMatch, stripAngles } from './find.js';
export { base64Lines, buildMultipart, buildMultipartChunks } from './build.js';
