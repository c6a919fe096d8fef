import type { ContentRef } from '../core/message.js';
import type { RefusalCode } from '../core/refusals.js';
import type { Capabilities } from './capabilities.js';

/** What one image must fit (src/adapt/image.ts). */
export interface ImageTarget {
  maxWidth: number;
  maxHeight: number;
  /** The bytes this image may take of the message's budget. */
  maxBytes: number;
  /** Whether the handset takes a media type (lower case); a type it does not take is converted (to JPEG). */
  takes(type: string): boolean;
  /** JPEG quality search bounds (content.jpegMinQuality .. jpegMaxQuality). */
  minQuality: number;
  maxQuality: number;
}

/** What one audio or video part must fit (src/adapt/av.ts). */
export interface AvTarget {
  maxBytes: number;
  /** Frame size bound for video. */
  maxWidth: number;
  maxHeight: number;
  takes(type: string): boolean;
}

/** One media part made to fit. */
export interface TranscodedMedia {
  bytes: Buffer;
  /** Media type of `bytes`, lower case (e.g. image/jpeg). */
  contentType: string;
  width?: number;
  height?: number;
  /** What was done, for the `adapted` event: e.g. "image/png 4000x3000 -> image/jpeg 640x480 q72". */
  note: string;
}

/**
 * Why a part could not be adapted: `undecodable` (the tool cannot read it: HEVC-HEIC without a decoder, a
 * damaged file), `cannot-fit` (not within the budget at the smallest size tried), `no-tool` (ffmpeg not
 * installed), `timeout`. The planner removes such a part and says so in a short text.
 */
export class AdaptError extends Error {
  override readonly name = 'AdaptError';
  constructor(
    readonly reason: 'undecodable' | 'cannot-fit' | 'no-tool' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/** Images (sharp). `unchanged`: the image already fits as it is (type taken, within size and bytes). */
export interface ImageAdapter {
  adapt(bytes: Buffer, contentType: string, target: ImageTarget): Promise<TranscodedMedia | 'unchanged'>;
}

/**
 * Audio and video (ffmpeg); `available` false when ffmpeg is not installed: a part that already fits is then
 * 'unchanged', and one that would have to change throws AdaptError no-tool (the planner removes it).
 */
export interface AvAdapter {
  readonly available: boolean;
  adapt(bytes: Buffer, contentType: string, target: AvTarget): Promise<TranscodedMedia | 'unchanged'>;
}

/** The tools the planner uses (src/adapt/plan.ts). */
export interface AdaptTools {
  image: ImageAdapter;
  av: AvAdapter;
  minQuality: number;
  maxQuality: number;
}

/**
 * A message's content as one class of recipients gets it (plain JSON; the bytes beside it). `parts` are
 * numbered 0..n-1 in the order of `content`; a part the planner made (the SMIL, a "removed" text) is new.
 */
export interface AdaptationOutcome {
  /** The class it was made for (capabilityClass). */
  classKey: string;
  /** Content type of the whole message as sent (a generated SMIL makes it multipart/related). */
  contentType: string;
  contentTypeParams?: Record<string, string | number>;
  parts: ContentRef[];
  /** Anything changed at all (false: the original goes as it is). */
  changed: boolean;
  /** What changed, one line per part changed, removed or added, for the `adapted` event and the job history. */
  changes: string[];
  /** Content bytes before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

/** The planner's answer: the adapted content, or a refusal (the originator forbade adaptation, nothing left). */
export type AdaptationResult =
  | { ok: true; outcome: AdaptationOutcome; content: Buffer[] }
  | { ok: false; code: RefusalCode; detail: string };

/** The planner's signature (src/adapt/plan.ts): pure but for the tools. */
export type PlanAdaptation = (
  message: import('../core/message.js').CoreMessage,
  content: readonly Buffer[],
  caps: Capabilities,
  tools: AdaptTools,
) => Promise<AdaptationResult>;
