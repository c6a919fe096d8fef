import type { VaspConfig } from '../../ops/config.js';

/**
 * Media a sender's message names (issue 24, "Media by URL"): an http(s) URL the gateway fetches (through the
 * outbound guard) and re-hosts in its content store, or the id of an earlier upload (POST /v1/media).
 */
export interface MediaRef {
  /** An http(s) URL, or a media id (`med_...`) from POST /v1/media. */
  source: string;
  /** The type the sender declares; unset: the server's Content-Type (URL) or the upload's. */
  contentType?: string;
  /** Content-Location of the part; unset: the URL's last path segment, or the upload's filename. */
  filename?: string;
}

/** One media part ready to be a part of a message: its bytes, its checked type, where it came from. */
export interface ResolvedMedia {
  source: string;
  /** The type the bytes really are (sniffed, and equal to the declared one when one was declared). */
  contentType: string;
  filename?: string;
  bytes: Buffer;
}

/** Why media could not be had: `reason` is a short machine word, `message` the words for the sender. */
export type MediaFailure =
  | 'not-found'
  | 'refused-address'
  | 'http-error'
  | 'no-content-length'
  | 'too-large'
  | 'timeout'
  | 'too-many-redirects'
  | 'type-mismatch'
  | 'type-not-allowed'
  | 'unreachable'
  | 'unknown-media-id';

/** Thrown by MediaService.resolve: the refusal is `media-unavailable` (or `content-type-mismatch` for the type ones). */
export class MediaUnavailableError extends Error {
  override readonly name = 'MediaUnavailableError';
  readonly code = 'MEDIA_UNAVAILABLE';
  constructor(
    readonly url: string,
    readonly reason: MediaFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Media for the sender's API: resolves a message's media (fetched, sniffed, cached by URL with its caching
 * headers, or an upload by id), within the account's caps. Implemented in src/rest/media/.
 */
export interface MediaService {
  /** All or nothing: the first media that cannot be had throws MediaUnavailableError. `budget`: bytes left for media. */
  resolve(vasp: VaspConfig, refs: readonly MediaRef[], budget: number): Promise<ResolvedMedia[]>;
}

/** An upload (POST /v1/media) as GET /v1/media/:id shows it. */
export interface MediaInfo {
  mediaId: string;
  contentType: string;
  size: number;
  /** RFC 3339: the upload is gone after this (api.media.uploadTtlMs). */
  expiresAt: string;
}

/** The bytes of an upload and what its request says of them. */
export interface MediaUpload {
  bytes: Buffer;
  /** The request's Content-Type (sniffed and compared like a URL's). */
  contentType: string | undefined;
  filename?: string;
}

/** Uploads for the routes POST /v1/media and GET /v1/media/:id (implemented with MediaService in src/rest/media/). */
export interface MediaUploads {
  /** The largest upload (api.media.maxFileBytes): its body is read no further. */
  readonly maxFileBytes: number;
  /** Checked (type-mismatch, type-not-allowed) and stored for the account: MediaUnavailableError otherwise. */
  upload(vasp: VaspConfig, upload: MediaUpload): Promise<MediaInfo>;
  /** The account's own upload; another account's, or one gone, is undefined. */
  info(vasp: VaspConfig, mediaId: string): Promise<MediaInfo | undefined>;
}
