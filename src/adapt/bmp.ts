/**
 * A Windows BMP decoder for image adaptation: the prebuilt sharp (libvips without ImageMagick) has no BMP
 * loader, yet BMP is one of the image types MMS handsets send (OMA-TS-MMS_CONF §7.1.4 lists it among the
 * bitmap formats). Decodes to raw RGB/RGBA pixels that sharp takes as `raw` input.
 *
 * Taken: BITMAPINFOHEADER and its V4/V5 extensions, bottom-up and top-down rows, BI_RGB at 1, 4, 8, 24 and
 * 32 bits, BI_BITFIELDS at 16 and 32 bits. RLE and embedded JPEG/PNG are refused. Dimensions are checked
 * against the pixel limit and the file's own length before any pixel buffer is allocated.
 */
import { AdaptError } from './types.js';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** 'BM' magic. */
export function isBmp(bytes: Buffer): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

function bad(why: string): AdaptError {
  return new AdaptError('undecodable', `bmp: ${why}`);
}

/** Shift and width of a contiguous bit mask (BI_BITFIELDS). */
function maskShift(mask: number): { shift: number; bits: number } {
  if (mask === 0) return { shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (((mask >>> (shift + bits)) & 1) === 1) bits++;
  return { shift, bits };
}

/** Pixels decoded between two yields to the event loop (a few ms of work at most). */
const BAND_PIXELS = 64 * 1024;

export async function decodeBmp(bytes: Buffer, maxPixels: number): Promise<RawImage> {
  if (!isBmp(bytes)) throw bad('not a BMP');
  const dataOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize < 40 || 14 + headerSize > bytes.length) throw bad(`unsupported header of ${headerSize} bytes`);
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const bpp = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw bad(`bad dimensions ${width}x${rawHeight}`);
  if (width * height > maxPixels) {
    throw new AdaptError('undecodable', `pixel-limit: ${width}x${height} is over ${maxPixels} pixels`);
  }
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw bad('pixel data shorter than its dimensions');

  let masks: { r: number; g: number; b: number; a: number } | undefined;
  if (compression === 3 || compression === 6) {
    // BI_BITFIELDS (and BI_ALPHABITFIELDS): masks follow a 40-byte header, or sit inside V4/V5 headers.
    if (bpp !== 16 && bpp !== 32) throw bad(`bitfields at ${bpp} bits`);
    if (14 + 40 + 12 > bytes.length) throw bad('truncated masks');
    masks = {
      r: bytes.readUInt32LE(54),
      g: bytes.readUInt32LE(58),
      b: bytes.readUInt32LE(62),
      a: headerSize >= 56 || compression === 6 ? bytes.readUInt32LE(66) : 0,
    };
  } else if (compression !== 0) {
    throw bad(`compression ${compression} (RLE or embedded) not taken`);
  } else if (bpp === 16) {
    masks = { r: 0x7c00, g: 0x03e0, b: 0x001f, a: 0 };
  } else if (![1, 4, 8, 24, 32].includes(bpp)) {
    throw bad(`${bpp} bits per pixel`);
  }

  let palette: Buffer | undefined;
  if (bpp <= 8) {
    const colours = bytes.readUInt32LE(46) || 1 << bpp;
    const start = 14 + headerSize;
    if (start + colours * 4 > bytes.length) throw bad('truncated palette');
    palette = bytes.subarray(start, start + colours * 4);
  }

  const alpha = masks !== undefined && masks.a !== 0;
  const channels: 3 | 4 = alpha ? 4 : 3;
  const out = Buffer.alloc(width * height * channels);
  const fields = masks && {
    r: maskShift(masks.r),
    g: maskShift(masks.g),
    b: maskShift(masks.b),
    a: maskShift(masks.a),
  };
  const scale = (v: number, f: { shift: number; bits: number }): number =>
    f.bits === 0 ? 255 : Math.round((((v >>> f.shift) & ((1 << f.bits) - 1)) * 255) / ((1 << f.bits) - 1));

  // One branch per row, not per pixel; the caller yields to the event loop between bands of rows.
  const perByte = bpp <= 8 ? 8 / bpp : 0;
  const indexMask = (1 << bpp) - 1;
  const decodeRow = (y: number): void => {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * channels;
    if (bpp === 24 || (bpp === 32 && !fields)) {
      const step = bpp / 8;
      for (let x = 0, p = row; x < width; x++, p += step, o += 3) {
        out[o] = bytes[p + 2] as number;
        out[o + 1] = bytes[p + 1] as number;
        out[o + 2] = bytes[p] as number;
      }
    } else if (palette) {
      for (let x = 0; x < width; x++, o += 3) {
        const byte = bytes[row + Math.floor(x / perByte)] as number;
        const index = (byte >> (8 - bpp * ((x % perByte) + 1))) & indexMask;
        const p = index * 4;
        if (p + 3 > palette.length) throw bad(`palette index ${index} out of range`);
        out[o] = palette[p + 2] as number;
        out[o + 1] = palette[p + 1] as number;
        out[o + 2] = palette[p] as number;
      }
    } else if (fields) {
      for (let x = 0; x < width; x++, o += channels) {
        const v = bpp === 16 ? bytes.readUInt16LE(row + x * 2) : bytes.readUInt32LE(row + x * 4);
        out[o] = scale(v, fields.r);
        out[o + 1] = scale(v, fields.g);
        out[o + 2] = scale(v, fields.b);
        if (alpha) out[o + 3] = scale(v, fields.a);
      }
    }
  };
  const band = Math.max(1, Math.floor(BAND_PIXELS / width));
  for (let y = 0; y < height; y += band) {
    if (y > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (let r = y; r < Math.min(height, y + band); r++) decodeRow(r);
  }
  return { data: out, width, height, channels };
}
