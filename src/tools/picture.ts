// A small picture for the demo's MMS, made here rather than shipped as a file: a PNG (ISO/IEC 15948) of a
// colour gradient, truecolour 8-bit, one IDAT, filter type 0 on every row.
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A width x height PNG: red across, blue down, a green disc in the middle. */
export function demoPicture(width = 96, height = 64): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const rows = Buffer.alloc(height * (1 + width * 3));
  const r2 = (Math.min(width, height) / 3) ** 2;
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < r2;
      rows[o] = Math.round((255 * x) / (width - 1));
      rows[o + 1] = inDisc ? 0xc8 : 0x28; // green channel: bright in the disc, dark around it
      rows[o + 2] = Math.round((255 * y) / (height - 1));
    }
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}
