import { fileTypeFromBuffer } from 'file-type';
import { type MediaProbe, probeOf } from './media-probe.js';

/**
 * The real type of media from its bytes (issue 25, "Validation on every inbound path"): sniffed from its
 * magic numbers with file-type and compared with the declared type, then checked against the allowed types.
 * Used on every inbound path: Intake checks every part of a submission (from the ContentStage's probes, or
 * the parts' bytes), the sender API's media by URL and uploads (src/rest/media) check each file.
 */

/** Why media's type is refused: `type-mismatch` (the bytes are not what is declared) or `type-not-allowed`. */
export type MediaTypeReason = 'type-mismatch' | 'type-not-allowed';

export class MediaTypeError extends Error {
  override readonly name = 'MediaTypeError';
  readonly code = 'CONTENT_TYPE_MISMATCH';
  constructor(
    readonly reason: MediaTypeReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Text types: accepted when declared as such and the bytes are UTF-8 text that file-type finds no binary
 * type in (it knows vCard and iCalendar by their BEGIN: line, SMIL as XML, and plain text not at all).
 */
const TEXT_TYPES = new Set(['text/plain', 'text/vcard', 'text/x-vcard', 'text/x-vcalendar', 'text/calendar', 'application/smil']);

/** Declared names of one type that senders and servers write. */
const DECLARED_ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-ms-bmp': 'image/bmp',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'text/directory': 'text/vcard',
};

/** What file-type may say for bytes of a declared type (a container's brand varies with what is in it). */
const SNIFFED_AS: Readonly<Record<string, readonly string[]>> = {
  'image/png': ['image/png', 'image/apng'],
  'audio/mp4': ['audio/mp4', 'audio/x-m4a', 'video/mp4'],
  'video/mp4': ['video/mp4', 'video/x-m4v'],
  'video/3gpp': ['video/3gpp'],
  // Text that file-type recognises by its first line (or none: plain text has no magic number).
  'text/vcard': ['text/vcard'],
  'text/x-vcard': ['text/vcard'],
  'text/x-vcalendar': ['text/calendar'],
  'text/calendar': ['text/calendar'],
  'application/smil': ['application/xml'],
};

/** file-type's name -> the type's allowed name, for media whose type is not declared. */
const SNIFFED_NAME: Readonly<Record<string, string>> = {
  'image/apng': 'image/png',
  'audio/x-m4a': 'audio/mp4',
  'video/x-m4v': 'video/mp4',
};

/** A Content-Type value -> its media type in lower case without parameters; undefined for none or octet-stream. */
export function declaredType(value: string | undefined): string | undefined {
  const t = value?.split(';')[0]?.trim().toLowerCase();
  if (!t || t === 'application/octet-stream' || !/^[a-z0-9][\w.+-]*\/[a-z0-9][\w.+-]*$/.test(t)) return undefined;
  return DECLARED_ALIASES[t] ?? t;
}

/**
 * The type of `bytes`: sniffed from its magic numbers (file-type) and compared with the declared one
 * (a Content-Type value, or undefined when none is declared), then checked against `allowed`. Answers the
 * declared type (its canonical name) when one is declared, else the sniffed one. Throws MediaTypeError.
 */
export async function checkMediaType(bytes: Uint8Array, declared: string | undefined, allowed: readonly string[]): Promise<string> {
  return checkProbe(probeOf(bytes), declared, allowed);
}

/**
 * As checkMediaType, from a part's probe (its first bytes, size and text checks: media-probe.ts) instead
 * of all its bytes. `charset`: the declared charset of a text part (a name, or a WSP MIBenum number,
 * OMA-WAP-TS-WSP Appendix A), which decides what text must be: UTF-8 (none, utf-8, us-ascii), any bytes but
 * NUL (another 8-bit charset), or anything file-type finds no binary type in (UTF-16).
 */
export async function checkProbe(
  probe: MediaProbe,
  declared: string | undefined,
  allowed: readonly string[],
  charset?: string | number,
): Promise<string> {
  const want = declaredType(declared);
  charset ??= /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(declared ?? '')?.[1];
  const sniffed = probe.head.length > 0 ? (await fileTypeFromBuffer(probe.head))?.mime : undefined;
  if (want === undefined) {
    if (sniffed === undefined)
      throw new MediaTypeError('type-mismatch', 'no type is declared and none can be told from the bytes: declare the type');
    const name = SNIFFED_NAME[sniffed] ?? sniffed;
    if (!allowed.includes(name)) throw new MediaTypeError('type-not-allowed', `${name} is not an allowed media type`);
    return name;
  }
  if (!allowed.includes(want)) throw new MediaTypeError('type-not-allowed', `${want} is not an allowed media type`);
  if (TEXT_TYPES.has(want)) {
    if (sniffed !== undefined && !(SNIFFED_AS[want] ?? [want]).includes(sniffed))
      throw new MediaTypeError('type-mismatch', `declared ${want}, but the bytes are ${sniffed}`);
    const kind = charsetKind(charset);
    if (kind === 'utf-8' && (!probe.utf8 || probe.nul))
      throw new MediaTypeError('type-mismatch', `declared ${want}, but the bytes are not UTF-8 text`);
    if (kind === '8-bit' && probe.nul)
      throw new MediaTypeError('type-mismatch', `declared ${want}, but the bytes are not text (a NUL byte)`);
    return want;
  }
  if (want === 'image/vnd.wap.wbmp') {
    if (sniffed !== undefined || !isWbmp(probe))
      throw new MediaTypeError('type-mismatch', `declared ${want}, but the bytes are ${sniffed ?? 'not a WBMP image'}`);
    return want;
  }
  if (sniffed === undefined || !(SNIFFED_AS[want] ?? [want]).includes(sniffed))
    throw new MediaTypeError('type-mismatch', `declared ${want}, but the bytes are ${sniffed ?? 'of no type that can be recognised'}`);
  return want;
}

/** WSP MIBenum numbers (IANA character sets) of UTF-8 and US-ASCII, and of the UTF-16 / UCS-2 family. */
const UTF8_MIBS = new Set([3, 106]);
const WIDE_MIBS = new Set([1000, 1013, 1014, 1015]);

/** What a declared charset says text bytes must be. */
function charsetKind(charset: string | number | undefined): 'utf-8' | '8-bit' | 'wide' {
  if (charset === undefined || charset === '') return 'utf-8';
  if (typeof charset === 'number') return UTF8_MIBS.has(charset) ? 'utf-8' : WIDE_MIBS.has(charset) ? 'wide' : '8-bit';
  const c = charset.trim().toLowerCase().replace(/^"|"$/g, '');
  if (c === 'utf-8' || c === 'utf8' || c === 'us-ascii' || c === 'ascii') return 'utf-8';
  if (c.startsWith('utf-16') || c.startsWith('utf-32') || c === 'ucs-2' || c === 'iso-10646-ucs-2') return 'wide';
  return '8-bit';
}

/**
 * A type 0 WBMP (WAP-237 WAE §6.4.1, no magic number): TypeField 0, FixHeaderField 0, width and height as
 * multi-byte integers, then exactly ceil(width / 8) * height bytes of pixels.
 */
function isWbmp(probe: MediaProbe): boolean {
  const bytes = probe.head;
  if (probe.size < 4 || bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) return false;
  let at = 2;
  const uintvar = (): number | undefined => {
    let v = 0;
    for (let i = 0; i < 4 && at < bytes.length; i++) {
      const b = bytes[at++]!;
      v = v * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  const width = uintvar();
  const height = uintvar();
  if (!width || !height) return false;
  return probe.size - at === Math.ceil(width / 8) * height;
}
