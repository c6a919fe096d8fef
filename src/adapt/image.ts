/**
 * Images made to fit a handset (issue 25): sharp (libvips). Decoded once, at the target size (a JPEG is
 * shrunk while it is decoded: libjpeg's DCT scaling, "shrink-on-load"), EXIF orientation applied, alpha
 * flattened on white, metadata dropped (sharp writes none unless asked); then the JPEG quality is searched to
 * fit the byte budget (an interpolation on a log-log model of bytes against libjpeg's quantiser scale, not
 * blind halving), and only when even the lowest quality is over the budget is the image shrunk further, by
 * sqrt(budget / bytes) with a margin. Every encode after the decode starts from the decoded pixels, so a
 * search costs a few milliseconds an encode at handset sizes.
 *
 * What the prebuilt sharp cannot decode: HEIC with HEVC (its libheif has no HEVC decoder: AV1-in-HEIF, i.e.
 * AVIF, decodes), BMP (no libvips loader: src/adapt/bmp.ts decodes it), WBMP. Such a part is an AdaptError
 * `undecodable`, and the planner removes it with a text (docs/adaptation.md, "Images").
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { decodeBmp, isBmp } from './bmp.js';
import { declaredImageType, type ImageAdaptReport } from './image-wire.js';
import { AdaptError, type ImageAdapter, type ImageTarget, type TranscodedMedia } from './types.js';

export interface SharpImageOptions {
  /**
   * Largest picture decoded, in pixels (sharp's limitInputPixels): a larger one is refused from its header,
   * before any pixel is decoded (a decompression bomb: a small PNG declaring 100,000 x 100,000). 64 MP
   * by default (8192 x 8192; 108/200 MP sensors write binned 12 MP pictures by default).
   */
  maxInputPixels?: number;
  /** One decode must end within this (sharp's timeout), else AdaptError timeout. */
  timeoutSeconds?: number;
  /** mozjpeg's trellis quantisation: ~15% smaller JPEGs for ~6x the encode CPU (off by default; bench/adapt.ts). */
  mozjpeg?: boolean;
}

/** Encodes tried since the process started, across every adapter (tests and bench read the difference). */
export const imageEncodeCounter = { calls: 0, encodes: 0 };

const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;
/** Smallest side worth sending: below this the image is not made to fit (AdaptError cannot-fit). */
const MIN_SIDE = 16;
/** A fitting encode this close to the budget ends the search (the next quality up would gain little). */
const CLOSE_ENOUGH = 0.9;
/** The first slope of ln(bytes) against ln(quantiser scale) before two encodes give a real one. */
const DEFAULT_SLOPE = -0.6;
const MAX_SHRINKS = 6;

/** Media type of a libvips loader's format name. */
function typeOfFormat(format: string | undefined, compression?: string): string | undefined {
  switch (format) {
    case 'jpeg':
      return 'image/jpeg';
    case 'png':
      return 'image/png';
    case 'gif':
      return 'image/gif';
    case 'webp':
      return 'image/webp';
    case 'heif':
      return compression === 'av1' ? 'image/avif' : 'image/heic';
    case 'tiff':
      return 'image/tiff';
    default:
      return undefined;
  }
}

/** libjpeg's quantiser scale (percent) for a quality 1..100 (jcparam.c jpeg_quality_scaling). */
function scaleOf(q: number): number {
  return q < 50 ? 5000 / q : 200 - 2 * q;
}

function qualityOf(scale: number): number {
  return scale >= 100 ? 5000 / scale : (200 - scale) / 2;
}

interface Decoded {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

interface Observation {
  lnScale: number;
  /** ln(bytes per pixel): comparable across sizes. */
  lnBpp: number;
}

export type { ImageAdaptReport };

export class SharpImageAdapter implements ImageAdapter {
  readonly maxInputPixels: number;
  private readonly timeoutSeconds: number;
  private readonly mozjpeg: boolean;

  constructor(options: SharpImageOptions = {}) {
    this.maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_PIXELS;
    this.timeoutSeconds = options.timeoutSeconds ?? 20;
    this.mozjpeg = options.mozjpeg ?? false;
  }

  async adapt(bytes: Buffer, contentType: string, target: ImageTarget): Promise<TranscodedMedia | 'unchanged'> {
    return (await this.adaptWithReport(bytes, contentType, target)).media;
  }

  /** adapt() with what it cost (encodes tried): the per-call counter tests and the bench read. */
  async adaptWithReport(
    bytes: Buffer,
    contentType: string,
    target: ImageTarget,
  ): Promise<{ media: TranscodedMedia | 'unchanged'; report: ImageAdaptReport }> {
    const report: ImageAdaptReport = { encodes: 0, sizes: 1 };
    imageEncodeCounter.calls++;
    const declared = declaredImageType(contentType);
    const media = await this.run(bytes, declared, target, report);
    imageEncodeCounter.encodes += report.encodes;
    return { media, report };
  }

  private async run(
    bytes: Buffer,
    declared: string,
    target: ImageTarget,
    report: ImageAdaptReport,
  ): Promise<TranscodedMedia | 'unchanged'> {
    if (isBmp(bytes)) {
      const raw = await decodeBmp(bytes, this.maxInputPixels);
      const fits = raw.width <= target.maxWidth && raw.height <= target.maxHeight;
      if (target.takes('image/bmp') && fits && bytes.length <= target.maxBytes) return 'unchanged';
      const input = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
      const decoded = await this.decode(input, target, raw.channels === 4);
      return this.toJpeg(decoded, `image/bmp ${raw.width}x${raw.height}`, target, report);
    }

    const meta = await this.metadata(bytes);
    const inType = typeOfFormat(meta.format, meta.compression);
    if (inType === undefined) throw new AdaptError('undecodable', `image format ${meta.format ?? 'unknown'} not taken`);
    if (meta.format === 'heif' && meta.compression === 'hevc') {
      // The prebuilt libheif carries no HEVC decoder (patents): found by experiment, docs/adaptation.md.
      throw new AdaptError('undecodable', 'heic-hevc: HEVC-coded HEIC cannot be decoded by the prebuilt sharp');
    }
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    if (width * height > this.maxInputPixels) {
      throw new AdaptError('undecodable', `pixel-limit: ${width}x${height} is over ${this.maxInputPixels} pixels`);
    }
    // EXIF orientations 5..8 are a quarter turn: the picture shows with its sides swapped.
    const swap = (meta.orientation ?? 1) >= 5;
    const shownW = swap ? height : width;
    const shownH = swap ? width : height;
    const within = shownW <= target.maxWidth && shownH <= target.maxHeight;
    const taken = target.takes(declared) && declared !== '';
    if (taken && within && bytes.length <= target.maxBytes) return 'unchanged';
    const from = `${inType} ${shownW}x${shownH}`;
    const animated = (meta.pages ?? 1) > 1;

    // Lossless graphics the handset takes stay what they are if, at the handset's size, they fit: an animated
    // GIF keeps its frames, a PNG with alpha or a palette stays PNG. Photos (and what does not fit) go JPEG.
    if (taken && meta.format === 'gif') {
      const gif = await this.tryKeep(bytes, 'gif', animated, target, report);
      if (gif) return { ...gif, note: `${from}${animated ? ` ${meta.pages} frames` : ''} -> image/gif ${gif.width}x${gif.height}` };
    } else if (taken && meta.format === 'png' && (meta.hasAlpha === true || meta.isPalette === true)) {
      const png = await this.tryKeep(bytes, 'png', false, target, report);
      if (png) return { ...png, note: `${from} -> image/png ${png.width}x${png.height}` };
    }
    if (!target.takes('image/jpeg')) {
      throw new AdaptError('cannot-fit', `${from}: the handset takes no image/jpeg to convert to`);
    }
    const decoded = await this.decode(this.open(bytes), target, meta.hasAlpha === true);
    const note = animated ? `${from} ${meta.pages} frames (first kept)` : from;
    return this.toJpeg(decoded, note, target, report);
  }

  private open(bytes: Buffer, animated = false): Sharp {
    // failOn 'error': a truncated photo still decodes (warnings), a broken one does not. Only the first page of
    // a GIF/WebP/HEIF unless asked.
    return sharp(bytes, {
      limitInputPixels: this.maxInputPixels,
      failOn: 'error',
      sequentialRead: true,
      animated,
    }).timeout({ seconds: this.timeoutSeconds });
  }

  private async metadata(bytes: Buffer): Promise<Metadata> {
    try {
      return await sharp(bytes, { limitInputPixels: this.maxInputPixels, failOn: 'error' }).metadata();
    } catch (err) {
      throw adaptErrorOf(err);
    }
  }

  /** Decoded pixels at the handset's size: oriented, resized inside (never enlarged), alpha on white. */
  private async decode(input: Sharp, target: ImageTarget, alpha: boolean): Promise<Decoded> {
    let pipeline = input.rotate().resize({
      width: target.maxWidth,
      height: target.maxHeight,
      fit: 'inside',
      withoutEnlargement: true,
      fastShrinkOnLoad: true,
    });
    if (alpha) pipeline = pipeline.flatten({ background: '#ffffff' });
    try {
      const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: info.channels };
    } catch (err) {
      throw adaptErrorOf(err);
    }
  }

  /** A GIF/PNG resized and re-encoded as itself; undefined when it is over the budget. */
  private async tryKeep(
    bytes: Buffer,
    format: 'gif' | 'png',
    animated: boolean,
    target: ImageTarget,
    report: ImageAdaptReport,
  ): Promise<TranscodedMedia | undefined> {
    const pipeline = this.open(bytes, animated).rotate().resize({
      width: target.maxWidth,
      height: target.maxHeight,
      fit: 'inside',
      withoutEnlargement: true,
    });
    report.encodes++;
    try {
      const out =
        format === 'gif'
          ? await pipeline.gif().toBuffer({ resolveWithObject: true })
          : await pipeline.png({ compressionLevel: 9, palette: true }).toBuffer({ resolveWithObject: true });
      if (out.data.length > target.maxBytes) return undefined;
      const height = out.info.pageHeight ?? out.info.height;
      return { bytes: out.data, contentType: `image/${format}`, width: out.info.width, height, note: '' };
    } catch (err) {
      throw adaptErrorOf(err);
    }
  }

  private async encode(img: Decoded, quality: number, report: ImageAdaptReport): Promise<Buffer> {
    report.encodes++;
    const { data, width, height, channels } = img;
    return sharp(data, { raw: { width, height, channels } })
      .jpeg({ quality, mozjpeg: this.mozjpeg, chromaSubsampling: '4:2:0' })
      .toBuffer();
  }

  /**
   * The highest JPEG quality (within minQuality..maxQuality) whose encode fits maxBytes, found by
   * interpolation: ln(bytes) is close to linear in ln(libjpeg's quantiser scale), so each encode predicts the
   * quality that lands just under the budget; the bracket of fitting / not fitting qualities bounds the guess.
   * If minQuality is over the budget, the pixels are shrunk by sqrt(budget / bytes) * 0.9 and searched again,
   * the first guess at the new size taken from the bytes per pixel seen so far.
   */
  private async toJpeg(first: Decoded, from: string, target: ImageTarget, report: ImageAdaptReport): Promise<TranscodedMedia> {
    const minQ = Math.max(1, Math.min(target.minQuality, target.maxQuality));
    const maxQ = Math.min(100, Math.max(target.minQuality, target.maxQuality));
    const budget = target.maxBytes;
    const seen: Observation[] = [];
    let img = first;
    for (let round = 0; round <= MAX_SHRINKS; round++) {
      const pixels = img.width * img.height;
      let best: { q: number; bytes: Buffer } | undefined;
      let overQ: number | undefined;
      let overBytes = 0;
      let q = round === 0 ? maxQ : guessQuality(seen, (budget * 0.95) / pixels, minQ, maxQ);
      for (;;) {
        const out = await this.encode(img, q, report);
        seen.push({ lnScale: Math.log(scaleOf(q)), lnBpp: Math.log(out.length / pixels) });
        if (out.length <= budget) {
          best = { q, bytes: out };
        } else {
          overQ = q;
          overBytes = out.length;
        }
        if (best && (best.q >= maxQ || best.bytes.length >= CLOSE_ENOUGH * budget)) break;
        const lo = best ? best.q + 1 : minQ;
        const hi = overQ !== undefined ? overQ - 1 : maxQ;
        if (lo > hi) break;
        q = Math.min(hi, Math.max(lo, guessQuality(seen, (budget * 0.95) / pixels, minQ, maxQ)));
      }
      if (best) {
        report.quality = best.q;
        return {
          bytes: best.bytes,
          contentType: 'image/jpeg',
          width: img.width,
          height: img.height,
          note: `${from} -> image/jpeg ${img.width}x${img.height} q${best.q}`,
        };
      }
      // Even minQuality is over: fewer pixels, in proportion to the bytes still to lose, with a margin.
      const ratio = Math.sqrt(budget / overBytes) * 0.9;
      const width = Math.floor(img.width * ratio);
      const height = Math.floor(img.height * ratio);
      if (width < MIN_SIDE || height < MIN_SIDE) break;
      report.sizes++;
      img = await resizeRaw(img, width, height);
    }
    throw new AdaptError('cannot-fit', `${from}: no JPEG of at least ${MIN_SIDE} pixels a side fits ${budget} bytes`);
  }
}

/**
 * The quality whose encode should come to `bpp` bytes per pixel: from the two observations nearest the
 * target (a secant in ln(bpp) against ln(scale)), or from one with the default slope.
 */
export function guessQuality(seen: readonly Observation[], bpp: number, minQ: number, maxQ: number): number {
  const want = Math.log(bpp);
  const last = seen[seen.length - 1];
  if (!last) return maxQ;
  let lnScale: number;
  const below = seen.filter((o) => o.lnBpp <= want).sort((a, b) => b.lnBpp - a.lnBpp)[0];
  const above = seen.filter((o) => o.lnBpp > want).sort((a, b) => a.lnBpp - b.lnBpp)[0];
  if (below && above && above.lnScale !== below.lnScale) {
    const slope = (above.lnBpp - below.lnBpp) / (above.lnScale - below.lnScale);
    lnScale = below.lnScale + (want - below.lnBpp) / slope;
  } else {
    const near = above ?? below ?? last;
    lnScale = near.lnScale + (want - near.lnBpp) / DEFAULT_SLOPE;
  }
  const q = Math.floor(qualityOf(Math.exp(lnScale)));
  return Math.min(maxQ, Math.max(minQ, Number.isFinite(q) ? q : minQ));
}

async function resizeRaw(img: Decoded, width: number, height: number): Promise<Decoded> {
  const { data, info } = await sharp(img.data, {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A sharp/libvips failure as an AdaptError: the pixel limit, a timeout, anything else undecodable. */
function adaptErrorOf(err: unknown): AdaptError {
  if (err instanceof AdaptError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0] ?? message;
  if (/pixel limit/i.test(message)) return new AdaptError('undecodable', `pixel-limit: ${first}`);
  if (/timeout/i.test(message)) return new AdaptError('timeout', `image: ${first}`);
  if (/no decoding plugin|unsupported codec|not been built in|hevc/i.test(message)) {
    return new AdaptError('undecodable', `heic-hevc: ${first}`);
  }
  return new AdaptError('undecodable', `image: ${first.slice(0, 200)}`);
}
