import type { Charset } from './charsets.js';

/** Text with an explicit charset (WAP-230 8.4.2.1 Encoded-string-value, charset form). */
export interface CharsetText {
  charset: Charset;
  text: string;
  /**
   * The exact bytes received when `text` cannot be re-encoded to them (unknown or decode-only charset,
   * invalid bytes, BOM). The encoder sends `raw` when present: delete it after changing `text`.
   */
  raw?: Buffer;
}

/** Encoded-string-value: a plain Text-string, or text tagged with its charset. */
export type EncodedStringValue = string | CharsetText;

/** A WSP parameter value (WAP-230 8.4.2.4); `true` is No-value (e.g. `secure`). */
export type ParamValue = string | number | Date | true;

/**
 * Content-type-value (WAP-230 8.4.2.24). `mediaType` is the type name (well-known numbers are mapped to
 * their names; an unassigned well-known number stays a number). Parameter keys are the WSP names in lower
 * case for well-known parameters (`charset`, `type`, `start`, `name`, `filename`, ...), and the token as
 * received for textual ones; key order is wire order.
 */
export interface ContentType {
  mediaType: string | number;
  params?: Record<string, ParamValue>;
  /**
   * Sent as Content-general-form (Value-length Media-type) although it needs none: valid, not the shortest
   * form; kept so that re-encoding gives the same bytes.
   */
  generalForm?: true;
}

/** A header we carry without interpreting: well-known code with its raw value, or a textual name/value. */
export type ExtraHeader = { code: number; value: Buffer } | { name: string; value: string };

/**
 * One entry of a WSP multipart (WAP-230 8.5.3). `data` is a zero-copy slice of the input. The entry headers
 * (contentId, contentLocation, contentDisposition, headers) are written in the object's key order.
 */
export interface Part {
  contentType: ContentType;
  contentId?: string;
  /** Content-ID came as a Text-string, not the Quoted-string WAP-230 8.4.2.67 asks for (common in handsets). */
  contentIdUnquoted?: true;
  contentLocation?: string;
  contentDisposition?: ContentDisposition;
  /** Other entry headers, in wire order. */
  headers?: ExtraHeader[];
  data: Buffer;
  /** Entries of a nested multipart (when contentType is itself multipart). */
  parts?: Part[];
}

/** WAP-230 8.4.2.53 Content-disposition-value: Form-data | Attachment | Inline | token, with parameters. */
export interface ContentDisposition {
  disposition: string;
  params?: Record<string, ParamValue>;
}
