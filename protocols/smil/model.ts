/**
 * The MMS SMIL presentation as the gateway builds and reads it (OMA-MMS-CONF v1.2, its "MMS SMIL" chapter, a subset of
 * the SMIL 2.0 Basic Language Profile): a sequence of slides (`<par>`), each showing at most one image or video
 * in the region `Image`, at most one text in the region `Text`, and at most one audio (no region), for `dur`.
 */

/** The SMIL media elements MMS SMIL uses (`ref` is the generic one some handsets write for other media). */
export type SmilElement = 'img' | 'video' | 'text' | 'audio' | 'ref';

/** One media reference: `src` is `cid:<Content-ID without brackets>` or a part's Content-Location. */
export interface SmilMedia {
  element: SmilElement;
  src: string;
  /** The region as written (Image / Text); unset for audio. */
  region?: string;
  /** alt text, as written. */
  alt?: string;
}

/** One slide: a `<par>`. */
export interface SmilSlide {
  media: SmilMedia[];
  /** Slide duration as a SMIL clock value ("5000ms", "5s"); unset = the builder's default. */
  dur?: string;
}

/** A presentation: what buildSmil writes and readSmil returns. */
export interface SmilPresentation {
  slides: SmilSlide[];
}

/** Layout of a built presentation: the root-layout size (the handset's screen or image bound), in pixels. */
export interface SmilLayout {
  width: number;
  height: number;
}

/** Bounds on a SMIL document read from a message (hostile input). */
export interface SmilLimits {
  maxBytes?: number;
  maxElements?: number;
  maxAttributes?: number;
  maxTokens?: number;
  maxDepth?: number;
}

export type SmilErrorCode =
  | 'NOT_XML'
  | 'NOT_SMIL'
  | 'TOO_LARGE'
  | 'DOCTYPE'
  | 'TOO_MANY_ELEMENTS'
  | 'TOO_MANY_ATTRIBUTES'
  | 'TOO_MANY_TOKENS'
  | 'TOO_DEEP';

/** Why a SMIL document could not be read (or a presentation not built). */
export class SmilError extends Error {
  override readonly name = 'SmilError';
  constructor(
    readonly code: SmilErrorCode,
    message: string,
  ) {
    super(message);
  }
}
