// src/adapt/plan.ts with the real image adapter (src/adapt/image.ts, sharp): pictures the test generates go
// through the planner to a 300 KB / 640x480 handset and are decoded again by sharp; the SMIL names what is
// there. Budget shares between two real pictures; an undecodable one removed with a text; the originator's
// veto judged on the real resolution.
import sharp from 'sharp';
import t from 'tap';
import { readSmil, resolveRef } from '../../protocols/smil/index.js';
import type { Capabilities } from '../../src/adapt/capabilities.js';
import { SharpImageAdapter } from '../../src/adapt/image.js';
import { envelopeBytes, planAdaptation } from '../../src/adapt/plan.js';
import type { AdaptTools } from '../../src/adapt/types.js';
import { AdaptError } from '../../src/adapt/types.js';
import type { ContentRef } from '../../src/core/message.js';
import { textMessage } from '../helpers/messages.js';
import { prng } from '../helpers/prng.js';

const KB = 1024;
const tools: AdaptTools = {
  image: new SharpImageAdapter(),
  av: {
    available: false,
    adapt: async () => {
      throw new AdaptError('no-tool', 'no ffmpeg in this test');
    },
  },
  minQuality: 40,
  maxQuality: 85,
};

const handset = (maxMessageBytes: number): Capabilities => ({
  maxMessageBytes,
  maxImageWidth: 640,
  maxImageHeight: 480,
  contentTypes: ['text/plain', 'application/smil', 'image/jpeg', 'image/gif'],
  source: 'default',
});

/** A photo-like picture: smooth colour fields with fine grain (a PNG of it is large, as a phone's would be). */
async function photo(width: number, height: number, format: 'png' | 'jpeg', seed: number): Promise<Buffer> {
  const rnd = prng(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const g = (rnd() * 6) | 0;
      raw[o] = ((128 + 100 * Math.sin(x / 97 + seed)) & 0xff) ^ (g & 7);
      raw[o + 1] = ((y * 255) / height + g) & 0xff;
      raw[o + 2] = (((x + y) * 255) / (width + height) + g) & 0xff;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png({ compressionLevel: 6 }).toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

const TEXT = Buffer.from('At the beach', 'utf8');

function message(parts: { type: string; bytes: Buffer; loc?: string; cid?: string }[], contentType: string) {
  const refs: ContentRef[] = parts.map((p, index) => ({
    index,
    contentType: p.type,
    size: p.bytes.length,
    ...(p.loc ? { contentLocation: p.loc } : {}),
    ...(p.cid ? { contentId: p.cid } : {}),
  }));
  return { message: textMessage('m-sharp', 1, 1_000, { contentType, parts: refs }), content: parts.map((p) => p.bytes) };
}

t.test('a large PNG with its SMIL to a 300 KB / 640x480 handset: a JPEG that fits, the SMIL naming it', async (t) => {
  const png = await photo(2400, 1800, 'png', 1);
  t.ok(png.length > 1024 * KB, `the PNG is ${png.length} bytes`);
  const smil = Buffer.from(
    '<smil><body><par dur="5s"><img src="beach.png" region="Image"/><text src="cid:t" region="Text"/></par></body></smil>',
  );
  const { message: m, content } = message(
    [
      { type: 'application/smil', bytes: smil, cid: '<s>' },
      { type: 'image/png', bytes: png, loc: 'beach.png' },
      { type: 'text/plain', bytes: TEXT, cid: '<t>' },
    ],
    'application/vnd.wap.multipart.related',
  );
  const r = await planAdaptation(m, content, handset(300 * KB), tools);
  if (!r.ok) throw new Error(r.detail);
  const k = r.outcome.parts.findIndex((p) => p.contentType === 'image/jpeg');
  t.ok(k >= 0, 'a JPEG');
  const jpeg = r.content[k]!;
  const meta = await sharp(jpeg).metadata();
  t.equal(meta.format, 'jpeg', 'sharp decodes it as a JPEG');
  t.same([meta.width, meta.height], [640, 480], 'at the handset resolution, aspect kept');
  t.equal(r.outcome.parts[k]!.contentLocation, 'beach.jpg');
  t.ok(r.outcome.bytesAfter + envelopeBytes(r.outcome.parts.length) <= 300 * KB, `${r.outcome.bytesAfter} bytes with room for headers`);
  const slides = readSmil(r.content[0]!).slides;
  t.same(
    slides.map((s) => s.media.map((x) => x.src)),
    [['beach.jpg', 'cid:t']],
  );
  t.equal(resolveRef('beach.jpg', r.outcome.parts), k);
  t.match(r.outcome.changes[0]!, /^beach\.png: image\/png 2400x1800 -> image\/jpeg 640x480/);
});

t.test('two real pictures share a 100 KB budget; an undecodable one is removed with a text', async (t) => {
  const big = await photo(1600, 1200, 'jpeg', 2);
  const small = await photo(320, 240, 'jpeg', 3);
  const { message: m, content } = message(
    [
      { type: 'text/plain', bytes: TEXT },
      { type: 'image/jpeg', bytes: big, loc: 'big.jpg' },
      { type: 'image/jpeg', bytes: small, loc: 'small.jpg' },
      { type: 'image/jpeg', bytes: Buffer.from('not a picture at all, but declared one'), loc: 'broken.jpg' },
    ],
    'application/vnd.wap.multipart.mixed',
  );
  const r = await planAdaptation(m, content, handset(100 * KB), tools);
  if (!r.ok) throw new Error(r.detail);
  t.ok(r.outcome.bytesAfter + envelopeBytes(r.outcome.parts.length) <= 100 * KB, `${r.outcome.bytesAfter} bytes`);
  const jpegs = r.outcome.parts.map((p, k) => [p, r.content[k]!] as const).filter(([p]) => p.contentType === 'image/jpeg');
  t.equal(jpegs.length, 2, 'both pictures kept');
  for (const [p, b] of jpegs) {
    const meta = await sharp(b).metadata();
    t.ok(meta.width! <= 640 && meta.height! <= 480, `${p.contentLocation} ${meta.width}x${meta.height} decodable and within`);
  }
  t.ok(r.content.includes(small), 'the small picture went as it was');
  const note = r.content.at(-1)!.toString('utf8');
  t.match(note, /^Removed: image broken\.jpg \(38 bytes\), could not be read$/);
  t.equal(r.outcome.parts[0]!.contentType, 'application/smil', 'a SMIL generated for the mixed message');
});

t.test('the originator forbade adaptation: judged on the real resolution', async (t) => {
  const forbid = { service: { allowAdaptations: false } };
  const wide = await photo(800, 600, 'jpeg', 4);
  const fits = await photo(320, 240, 'jpeg', 5);
  for (const [name, bytes, ok] of [
    ['800x600 to a 640x480 handset', wide, false],
    ['320x240', fits, true],
  ] as const) {
    const { message: m, content } = message([{ type: 'image/jpeg', bytes }], 'image/jpeg');
    const r = await planAdaptation({ ...m, ...forbid }, content, handset(300 * KB), tools);
    if (ok) t.ok(r.ok && !r.outcome.changed && r.content[0] === bytes, `${name}: unchanged`);
    else t.same(r.ok ? null : [r.code, /640x480/.test(r.detail)], ['adaptation-forbidden', true], `${name}: refused`);
  }
});
