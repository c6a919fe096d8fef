// The parsed entity tree, the parser limits and the outbound part descriptions.
import type { ContentType } from './content-type.js';
import type { MimeHeader, MimeHeaders } from './headers.js';

export interface MimeEntity {
  headers: MimeHeaders;
  /** From Content-Type; default text/plain; charset=us-ascii (RFC 2045 §5.2), or message/rfc822 inside multipart/digest (RFC 2046 §5.1.5) */
  contentType: ContentType;
  /** Content-ID without the angle brackets (some senders omit them: both accepted) */
  contentId?: string;
  contentLocation?: string;
  /** lower-case; '7bit' when absent (RFC 2045 §6.1) */
  transferEncoding: string;
  /** decoded body bytes (base64 / quoted-printable undone); undefined for multipart entities and streamed leaves */
  body?: Buffer;
  /** decoded size of a leaf whose body went to a PartSink instead of `body` (see StreamOptions) */
  streamedBytes?: number;
  /** the parts of a multipart/* entity, in order */
  parts?: MimeEntity[];
}

export interface MimeLimits {
  /** Most input bytes read, preamble and epilogue included. */
  maxBytes: number;
  /** Most body parts, nested ones included (the root is not a part). */
  maxParts: number;
  /** Most levels of multipart, the root's own included. */
  maxDepth: number;
  /** Most bytes in one header block, line endings included. */
  maxHeaderBytes: number;
  /** Most physical header lines (continuation lines count) in one header block. */
  maxHeaders: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxParts: 256,
  maxDepth: 8,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
});

/** Receives one leaf part's decoded body, piece by piece, in order (views: copy what is kept). */
export interface PartSink {
  write(bytes: Buffer): void;
  /** The part's closing delimiter was read: the body is complete. */
  end(): void;
}

/** Streaming of leaf bodies out of the parser instead of into MimeEntity.body. */
export interface StreamOptions {
  /**
   * Called once a leaf part's header block has been read, with the multiparts it is nested in (the root
   * first). A sink returned receives the part's decoded body as it arrives, and the entity keeps only its
   * size (`streamedBytes`); undefined keeps the body in memory as usual.
   */
  leaf?: (part: MimeEntity, ancestors: readonly MimeEntity[]) => PartSink | undefined;
  /** Awaited after each input chunk, before the next is read: lets an asynchronous sink keep pace (back-pressure). */
  drain?: () => Promise<void>;
}

/** A leaf part for buildMultipart. */
export interface OutboundPart {
  contentType: ContentType | string;
  contentId?: string;
  contentLocation?: string;
  body: Buffer;
  /** Extra header fields, written after the ones buildMultipart writes itself. */
  headers?: MimeHeader[];
}

/** A nested multipart for buildMultipart; its Content-Type is `multipart.type` with `multipart.params` and a boundary. */
export interface OutboundMultipart {
  /** Must name the same type as `multipart.type`. */
  contentType: ContentType | string;
  contentId?: string;
  multipart: { type: string; params: Record<string, string>; parts: OutboundPart[] };
}
