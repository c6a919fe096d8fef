/**
 * What crosses between the gateway and its image process (src/adapt/image-process.ts, image-child.ts): a
 * request, its answer, and the one step of the image adapter both sides must agree on, the media type a part
 * declares. No sharp here: the gateway imports this and never loads libvips itself.
 */
import type { AdaptError, ImageTarget, TranscodedMedia } from './types.js';

/** Names senders use for JPEG and BMP (image/jpg, image/pjpeg, image/x-ms-bmp) as the handset's UAProf names them. */
function canonicalImageType(type: string): string {
  if (type === 'image/jpg' || type === 'image/pjpeg') return 'image/jpeg';
  if (type === 'image/x-ms-bmp' || type === 'image/x-bmp') return 'image/bmp';
  return type;
}

/** The media type a part's Content-Type declares, lower case and canonical ('' when none). */
export function declaredImageType(contentType: string): string {
  return canonicalImageType(contentType.split(';')[0]?.trim().toLowerCase() ?? '');
}

/** An ImageTarget as data: `takes` as the list of the types the image adapter asks about that are taken. */
export interface WireTarget {
  maxWidth: number;
  maxHeight: number;
  maxBytes: number;
  minQuality: number;
  maxQuality: number;
  taken: string[];
}

/**
 * The image adapter asks `takes` about three types only: BMP (kept as it is when it fits), the declared type,
 * and JPEG (what everything else becomes); so their answers are the whole of `takes` for one part.
 */
export function toWire(target: ImageTarget, contentType: string): WireTarget {
  const asked = new Set(['image/bmp', declaredImageType(contentType), 'image/jpeg']);
  const { maxWidth, maxHeight, maxBytes, minQuality, maxQuality } = target;
  return { maxWidth, maxHeight, maxBytes, minQuality, maxQuality, taken: [...asked].filter((t) => t !== '' && target.takes(t)) };
}

export function fromWire(w: WireTarget): ImageTarget {
  const taken = new Set(w.taken);
  return { ...w, takes: (t) => taken.has(t) };
}

/** What one adaptation cost, for tests and bench/adapt.ts. */
export interface ImageAdaptReport {
  /** Output encodes tried (JPEG qualities, a PNG/GIF attempt). */
  encodes: number;
  /** Sizes tried: 1 + shrinks after the lowest quality did not fit. */
  sizes: number;
  /** The JPEG quality chosen (undefined for PNG/GIF output or unchanged). */
  quality?: number;
}

export interface ImageRequest {
  id: number;
  bytes: Buffer;
  contentType: string;
  target: WireTarget;
}

export type ImageAnswer =
  | { id: number; ok: true; media: TranscodedMedia | 'unchanged'; report: ImageAdaptReport }
  | { id: number; ok: false; reason?: AdaptError['reason']; message: string };
