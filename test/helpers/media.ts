// Real media for tests (fixtures/media/README.md says how each was made): every inbound path checks a part's
// bytes against its declared type (issue 25), so a picture a test sends must be one.
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../fixtures/media/', import.meta.url));
const load = (name: string): Buffer => readFileSync(dir + name);

/** An 8x8 baseline JPEG (269 bytes). */
export const TINY_JPEG = load('tiny.jpg');
/** An 8x8 PNG. */
export const TINY_PNG = load('tiny.png');
/** An 8x8 GIF89a. */
export const TINY_GIF = load('tiny.gif');
/** 200 ms of AMR-NB (NO_DATA frames). */
export const TINY_AMR = load('tiny.amr');

/** An ELF executable's header (x86-64), padded: what an attacker would name photo.jpg. */
export const ELF = Buffer.concat([Buffer.from('7f454c4602010100', 'hex'), Buffer.alloc(120, 0)]);

/** A JPEG of `bytes` bytes (at least the tiny one's): the tiny one, then filler after its end of image. */
export function jpegOf(bytes: number): Buffer {
  const filler = Math.max(0, bytes - TINY_JPEG.length);
  // Appended after EOI: decoders stop at EOI, file-type reads the start; the size is what a test needs.
  return Buffer.concat([TINY_JPEG, Buffer.alloc(filler, 0x5a)]);
}

/**
 * A PNG of `bytes` bytes (at least the tiny one's + 12): the tiny one with a private ancillary chunk `prVt`
 * (PNG §5.4: a lower-case first letter = ancillary, decoders skip it) of `fill`'s bytes before IEND, its CRC
 * right: a valid PNG whose size and bytes a test chooses.
 */
export function pngOf(bytes: number, fill: (payload: Buffer) => void = () => {}): Buffer {
  const iend = TINY_PNG.length - 12; // IEND is the last chunk: length(4) type(4) crc(4), no data
  const payload = Buffer.alloc(Math.max(0, bytes - TINY_PNG.length - 12));
  fill(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(payload.length, 0);
  head.write('prVt', 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), payload])), 0);
  return Buffer.concat([TINY_PNG.subarray(0, iend), head, payload, crc, TINY_PNG.subarray(iend)]);
}
