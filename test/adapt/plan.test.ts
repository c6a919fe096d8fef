// src/adapt/plan.ts: the planner's rules with small fake tools (what the tools do to bytes is not what is
// tested here; test/adapt/plan-sharp.test.ts runs the real image adapter): nothing to do, the originator's
// veto, conversion of types not taken, the shared budget (smallest first, equal shares of what is left),
// ONE removal text, the SMIL written again or generated, the message type that follows.
import t from 'tap';
import { resolveRef, readSmil } from '../../protocols/smil/index.js';
import type { Capabilities } from '../../src/adapt/capabilities.js';
import { capabilityClass } from '../../src/adapt/capabilities.js';
import { adaptedMessage, planAdaptation } from '../../src/adapt/plan.js';
import { AdaptError, type AdaptTools, type AvTarget, type ImageTarget, type TranscodedMedia } from '../../src/adapt/types.js';
import type { ContentRef, CoreMessage } from '../../src/core/message.js';
import { textMessage } from '../helpers/messages.js';

const KB = 1024;

function caps(over: Partial<Capabilities> = {}): Capabilities {
  return {
    maxMessageBytes: 300 * KB,
    maxImageWidth: 640,
    maxImageHeight: 480,
    contentTypes: ['text/plain', 'application/smil', 'image/jpeg', 'image/gif', 'audio/amr', 'video/3gpp'],
    source: 'default',
    ...over,
  };
}

interface Call {
  type: string;
  size: number;
  maxBytes: number;
}

/**
 * A fake image adapter: `unchanged` when the type is taken and the bytes within (and not marked "BIG" for a
 * resolution over the target); else a JPEG of 90 % of the budget. Bytes starting "BAD" are undecodable.
 */
function fakeTools(opts: { avAvailable?: boolean; imageOut?: string } = {}): AdaptTools & { calls: Call[]; avCalls: Call[] } {
  const calls: Call[] = [];
  const avCalls: Call[] = [];
  return {
    calls,
    avCalls,
    minQuality: 40,
    maxQuality: 85,
    image: {
      async adapt(bytes: Buffer, contentType: string, target: ImageTarget): Promise<TranscodedMedia | 'unchanged'> {
        calls.push({ type: contentType, size: bytes.length, maxBytes: target.maxBytes });
        if (bytes.subarray(0, 3).toString() === 'BAD') throw new AdaptError('undecodable', 'not an image');
        const big = bytes.subarray(0, 3).toString() === 'BIG';
        if (!big && target.takes(contentType) && bytes.length <= target.maxBytes) return 'unchanged';
        if (target.maxBytes < 1000) throw new AdaptError('cannot-fit', 'too small a budget');
        const n = Math.floor(target.maxBytes * 0.9);
        return {
          bytes: Buffer.alloc(n, 1),
          contentType: opts.imageOut ?? 'image/jpeg',
          width: 640,
          height: 480,
          note: `${contentType} -> image/jpeg 640x480 q70`,
        };
      },
    },
    av: {
      available: opts.avAvailable ?? false,
      async adapt(bytes: Buffer, contentType: string, target: AvTarget): Promise<TranscodedMedia | 'unchanged'> {
        avCalls.push({ type: contentType, size: bytes.length, maxBytes: target.maxBytes });
        if (!opts.avAvailable) throw new AdaptError('no-tool', 'ffmpeg is not installed');
        return {
          bytes: Buffer.alloc(Math.floor(target.maxBytes / 2), 2),
          contentType: 'video/3gpp',
          note: `${contentType} -> video/3gpp 176x144`,
        };
      },
    },
  };
}

/** A message of `parts` (type, bytes, names), the content type given. */
function msg(
  contentType: string,
  parts: { type: string; bytes: Buffer; loc?: string; cid?: string }[],
  over: Partial<CoreMessage> = {},
): { message: CoreMessage; content: Buffer[] } {
  const refs: ContentRef[] = parts.map((p, index) => ({
    index,
    contentType: p.type,
    size: p.bytes.length,
    ...(p.loc ? { contentLocation: p.loc } : {}),
    ...(p.cid ? { contentId: p.cid } : {}),
  }));
  return { message: textMessage('m1', 1, 1_000, { contentType, parts: refs, ...over }), content: parts.map((p) => p.bytes) };
}

const TEXT = Buffer.from('Hello from the beach', 'utf8');
const SMIL_DOC = (img: string, txt: string, extra = '') =>
  Buffer.from(
    `<smil><head><layout><root-layout width="320" height="240"/></layout></head><body><par dur="4s"><img src="${img}" region="Image"/><text src="${txt}" region="Text"/></par>${extra}</body></smil>`,
  );

t.test('nothing to do: changed false, the original parts and buffers', async (t) => {
  const jpeg = Buffer.alloc(50 * KB, 7);
  const { message, content } = msg(
    'application/vnd.wap.multipart.related',
    [
      { type: 'application/smil', bytes: SMIL_DOC('a.jpg', 'a.txt'), loc: 's.smil', cid: '<s>' },
      { type: 'image/jpeg', bytes: jpeg, loc: 'a.jpg' },
      { type: 'text/plain', bytes: TEXT, loc: 'a.txt' },
    ],
    { contentTypeParams: { type: 'application/smil', start: '<s>' } },
  );
  const tools = fakeTools();
  const r = await planAdaptation(message, content, caps(), tools);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.outcome.changed, false);
  t.same(r.outcome.changes, []);
  t.same(r.outcome.parts, message.parts, 'the original parts (their indexes already their positions)');
  t.ok(
    r.content.every((b, k) => b === content[k]),
    'the original buffers',
  );
  t.equal(r.outcome.contentType, message.contentType);
  t.same(r.outcome.contentTypeParams, { type: 'application/smil', start: '<s>' });
  t.equal(r.outcome.bytesBefore, r.outcome.bytesAfter);
  t.equal(r.outcome.classKey, capabilityClass(caps()));
  t.equal(tools.calls.length, 1, 'the image was shown to the tool (resolution check)');
});

t.test('the originator forbade adaptation: anything that would change is adaptation-forbidden', async (t) => {
  const forbid = { service: { allowAdaptations: false } };
  const png = msg(
    'application/vnd.wap.multipart.mixed',
    [
      { type: 'text/plain', bytes: TEXT },
      { type: 'image/png', bytes: Buffer.alloc(1000), loc: 'p.png' },
    ],
    forbid,
  );
  const big = msg('application/vnd.wap.multipart.mixed', [{ type: 'image/jpeg', bytes: Buffer.alloc(400 * KB) }], forbid);
  const wide = msg('image/jpeg', [{ type: 'image/jpeg', bytes: Buffer.from('BIG image over 640x480') }], forbid);
  for (const [name, m, word] of [
    ['type not taken', png, 'image/png'],
    ['over the size', big, '307200 bytes'],
    ['over the resolution', wide, '640x480'],
  ] as const) {
    const tools = fakeTools();
    const r = await planAdaptation(m.message, m.content, caps(), tools);
    t.equal(r.ok, false, name);
    if (r.ok) continue;
    t.equal(r.code, 'adaptation-forbidden', name);
    t.match(r.detail, word, name);
    t.match(r.detail, 'does not allow adaptation', name);
  }
  // Fits as it is: goes unchanged, and no SMIL is generated for it (that too would change it).
  const ok = msg(
    'application/vnd.wap.multipart.mixed',
    [
      { type: 'text/plain', bytes: TEXT },
      { type: 'image/jpeg', bytes: Buffer.alloc(1000) },
    ],
    forbid,
  );
  const r = await planAdaptation(ok.message, ok.content, caps(), fakeTools());
  t.ok(r.ok && !r.outcome.changed && r.outcome.parts.length === 2, 'fits: unchanged, no SMIL added');
});

t.test('budget: text first, media smallest first, equal shares of what is left; the sum fits', async (t) => {
  const small = Buffer.alloc(10 * KB, 1);
  const mid = Buffer.alloc(200 * KB, 2);
  const large = Buffer.alloc(900 * KB, 3);
  const { message, content } = msg('application/vnd.wap.multipart.mixed', [
    { type: 'image/jpeg', bytes: large, loc: 'large.jpg' },
    { type: 'text/plain', bytes: TEXT, loc: 't.txt' },
    { type: 'image/jpeg', bytes: mid, loc: 'mid.jpg' },
    { type: 'image/jpeg', bytes: small, loc: 'small.jpg' },
  ]);
  const tools = fakeTools();
  const r = await planAdaptation(message, content, caps(), tools);
  if (!r.ok) throw new Error(r.detail);
  t.same(
    tools.calls.map((c) => c.size),
    [10 * KB, 200 * KB, 900 * KB],
    'smallest first',
  );
  const [s1, s2, s3] = tools.calls.map((c) => c.maxBytes) as [number, number, number];
  // s1 = floor(L/3); the small image keeps its 10 KB, so the next share is half of what is left, and the last
  // gets all that the second left over.
  const L = 3 * s1;
  t.ok(Math.abs(s2 - (L - 10 * KB) / 2) <= 3, `second share ${s2} is half of ${L - 10 * KB}`);
  const second = Math.floor(s2 * 0.9);
  t.ok(Math.abs(s3 - (L - 10 * KB - second)) <= 3, `last share ${s3} is what is left`);
  t.ok(s3 > s2, 'the largest part gets the most');
  t.ok(r.outcome.bytesAfter <= 300 * KB - 1024, `content ${r.outcome.bytesAfter} within the limit with room for the headers`);
  t.equal(r.outcome.bytesBefore, 1110 * KB + TEXT.length);
  t.ok(
    r.content.some((b) => b === small),
    'the small image went as it was',
  );
  t.ok(
    r.content.some((b) => b === TEXT),
    'the text went as it was',
  );
  t.equal(r.outcome.changes.filter((c) => c.includes('-> image/jpeg')).length, 2, 'two images changed');
});

t.test('parts that cannot fit are removed and named in ONE short text part', async (t) => {
  const clip = Buffer.alloc(Math.round(5.2 * KB * KB), 4);
  const song = Buffer.alloc(600 * KB, 5);
  const { message, content } = msg('application/vnd.wap.multipart.mixed', [
    { type: 'text/plain', bytes: TEXT },
    { type: 'video/mp4', bytes: clip, loc: 'clip.mp4' },
    { type: 'audio/amr', bytes: song, loc: 'song.amr' },
    { type: 'image/heic', bytes: Buffer.from('BAD heic'), loc: 'photo.heic' },
    { type: 'application/pdf', bytes: Buffer.alloc(100), loc: 'doc.pdf' },
  ]);
  const tools = fakeTools({ avAvailable: false });
  const r = await planAdaptation(message, content, caps(), tools);
  if (!r.ok) throw new Error(r.detail);
  const texts = r.outcome.parts.filter((p) => p.contentType === 'text/plain');
  t.equal(texts.length, 2, 'the original text and ONE removal text');
  const note = r.content[r.outcome.parts.indexOf(texts[1]!)]!.toString('utf8');
  t.equal(
    note,
    'Removed: video clip.mp4 (5.2 MB), not supported by this phone; audio song.amr (600 KB), too large for this phone; ' +
      'image photo.heic (8 bytes), could not be read; file doc.pdf (100 bytes), not supported by this phone',
    'in message order',
  );
  t.same(texts[1]!.params, { charset: 'utf-8' });
  t.ok(r.outcome.changes.some((c) => c.startsWith('clip.mp4 (video/mp4, 5.2 MB): removed')));
  t.ok(r.outcome.changes.some((c) => c.startsWith('added: text "Removed: video clip.mp4')));
  t.equal(r.outcome.contentType, 'application/vnd.wap.multipart.related', 'a SMIL was generated');
  t.same(
    r.outcome.parts.map((p) => p.index),
    r.outcome.parts.map((_, k) => k),
    'parts numbered 0..n-1',
  );
});

t.test('types not taken are converted; the SMIL follows the rename, removed elements gone, cid refs kept', async (t) => {
  const extra = '<par dur="2s"><video src="cid:vid"/></par><par><img src="gone.jpg"/></par>';
  const { message, content } = msg(
    'application/vnd.wap.multipart.related',
    [
      { type: 'application/smil', bytes: SMIL_DOC('photo.png', 'cid:txt', extra), loc: 'pres.smil', cid: '<pres>' },
      { type: 'image/png', bytes: Buffer.alloc(40 * KB), loc: 'photo.png' },
      { type: 'text/plain', bytes: TEXT, cid: '<txt>' },
      { type: 'video/mp4', bytes: Buffer.alloc(2 * KB * KB), cid: '<vid>', loc: 'v.mp4' },
      { type: 'image/jpeg', bytes: Buffer.alloc(2 * KB), loc: 'photo.jpg' },
    ],
    { contentTypeParams: { type: 'application/smil', start: '<pres>' } },
  );
  const r = await planAdaptation(message, content, caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  const parts = r.outcome.parts;
  const jpeg = parts.find((p) => p.contentType === 'image/jpeg' && p.contentLocation !== 'photo.jpg');
  t.equal(jpeg?.contentLocation, 'photo-1.jpg', 'photo.png renamed, clear of the photo.jpg already there');
  t.notOk(
    parts.some((p) => p.contentType === 'video/mp4'),
    'the video (no ffmpeg) removed',
  );
  const smilIdx = parts.findIndex((p) => p.contentType === 'application/smil');
  t.equal(smilIdx, 0, 'the SMIL where it was');
  t.equal(parts[0]!.contentId, '<pres>');
  t.same(r.outcome.contentTypeParams, { type: 'application/smil', start: '<pres>' });
  const p = readSmil(r.content[0]!);
  const srcs = p.slides.map((s) => s.media.map((m) => `${m.element}:${m.src}`));
  t.same(
    srcs,
    [['img:photo-1.jpg', 'text:cid:txt'], ['text:removed.txt']],
    'renamed; video slide and dangling ref gone; removal slide last',
  );
  t.equal(p.slides[0]!.dur, '4s', 'slide timing kept');
  for (const s of p.slides) for (const m of s.media) t.not(resolveRef(m.src, parts), undefined, `${m.src} names a part`);
  t.ok(r.outcome.changes.includes('presentation (SMIL) written again: 2 slides'));
});

t.test('a multipart message without SMIL gets one: related, type and start naming it, SMIL first', async (t) => {
  const { message, content } = msg('multipart/mixed', [
    { type: 'text/plain', bytes: TEXT },
    { type: 'image/jpeg', bytes: Buffer.alloc(5 * KB), loc: 'a.jpg' },
    { type: 'text/x-vcard', bytes: Buffer.from('BEGIN:VCARD\r\nEND:VCARD\r\n') },
    { type: 'image/gif', bytes: Buffer.alloc(3 * KB) },
  ]);
  const r = await planAdaptation(message, content, caps({ contentTypes: [...caps().contentTypes, 'text/x-vcard'] }), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.outcome.changed, true);
  t.equal(r.outcome.contentType, 'multipart/related', 'the MIME spelling kept');
  const smil = r.outcome.parts[0]!;
  t.equal(smil.contentType, 'application/smil');
  t.same(r.outcome.contentTypeParams, { type: 'application/smil', start: smil.contentId });
  t.equal(r.outcome.parts.length, 5);
  const p = readSmil(r.content[0]!);
  t.same(
    p.slides.map((s) => s.media.map((m) => m.element)),
    [['text', 'img'], ['img']],
    'text+image on slide 1, the GIF on slide 2, the vCard an attachment',
  );
  for (const s of p.slides) for (const m of s.media) t.not(resolveRef(m.src, r.outcome.parts), undefined, `${m.src} names a part`);
  t.ok(r.outcome.parts[4]!.contentId, 'a part without a name got a Content-ID for the SMIL');
  t.equal(r.outcome.bytesAfter, r.outcome.bytesBefore + r.content[0]!.length);
  t.same(r.outcome.changes, ['presentation (SMIL) generated: 2 slides']);
  const m = adaptedMessage(message, r.outcome);
  t.equal(m.contentType, 'multipart/related');
  t.equal(m.parts, r.outcome.parts);
});

t.test('one part alone (a multipart without SMIL) needs no presentation: it goes unchanged', async (t) => {
  const { message, content } = msg('application/vnd.wap.multipart.mixed', [{ type: 'text/plain', bytes: TEXT }]);
  const r = await planAdaptation(message, content, caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.outcome.changed, false, 'no SMIL generated for a text alone');
  t.equal(r.outcome.parts.length, 1);
  t.equal(r.content[0], TEXT);
  const picture = msg('application/vnd.wap.multipart.mixed', [{ type: 'image/jpeg', bytes: Buffer.alloc(5 * KB), loc: 'a.jpg' }]);
  const rp = await planAdaptation(picture.message, picture.content, caps(), fakeTools());
  if (!rp.ok) throw new Error(rp.detail);
  t.equal(rp.outcome.changed, false, 'no SMIL generated for a picture alone');
  // Two texts are a presentation of two slides' worth: generated.
  const two = msg('application/vnd.wap.multipart.mixed', [
    { type: 'text/plain', bytes: TEXT },
    { type: 'text/plain', bytes: Buffer.from('and a second text') },
  ]);
  const r2 = await planAdaptation(two.message, two.content, caps(), fakeTools());
  if (!r2.ok) throw new Error(r2.detail);
  t.equal(r2.outcome.parts[0]?.contentType, 'application/smil', 'two texts: a SMIL generated');
});

t.test("parts listed out of their index order (a REST form's text first): each part gets its own bytes", async (t) => {
  const jpeg = Buffer.from('BIG the picture bytes');
  const refs: ContentRef[] = [
    { index: 1, contentType: 'text/plain', size: TEXT.length },
    { index: 0, contentType: 'image/png', size: jpeg.length, contentLocation: 'p.png' },
  ];
  const message = textMessage('m1', 1, 1_000, { contentType: 'application/vnd.wap.multipart.mixed', parts: refs });
  // The queue's content is by index: [the picture, the text].
  const r = await planAdaptation(message, [jpeg, TEXT], caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  const text = r.outcome.parts.findIndex((p) => p.contentType === 'text/plain');
  t.equal(r.content[text]?.toString(), TEXT.toString(), 'the text part carries the text');
  for (const [i, p] of r.outcome.parts.entries()) t.equal(p.index, i, `part ${i}: index = position`);
  t.notOk(
    r.outcome.changes.some((c) => c.includes('could not be read')),
    'the picture was read as a picture',
  );
  // Nothing to change (two texts, a SMIL aside): each part still gets its own bytes.
  const same = textMessage('m3', 1, 1_000, {
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: TEXT.length }],
  });
  const u = await planAdaptation(same, [TEXT], caps(), fakeTools());
  if (!u.ok) throw new Error(u.detail);
  t.equal(u.outcome.changed, false);
  t.equal(u.content[0]?.toString(), TEXT.toString(), 'unchanged: content[0] is the bytes of parts[0]');
});

t.test('an unreadable SMIL (entity tricks) is replaced by a generated one', async (t) => {
  const evil = Buffer.from('<!DOCTYPE smil [<!ENTITY a "aaaa">]><smil><body><img src="&a;"/></body></smil>');
  const { message, content } = msg('application/vnd.wap.multipart.related', [
    { type: 'application/smil', bytes: evil, cid: '<s>' },
    { type: 'image/png', bytes: Buffer.alloc(KB), loc: 'x.png' },
  ]);
  const r = await planAdaptation(message, content, caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  t.ok(r.outcome.changes.includes('presentation (SMIL) unreadable (DOCTYPE): generated anew, 1 slides'));
  t.same(
    readSmil(r.content[0]!).slides.map((s) => s.media.map((m) => m.src)),
    [['x.jpg']],
  );
});

t.test('a single-part message: converted in place, its type follows; removed -> the text alone', async (t) => {
  const one = msg('image/png', [{ type: 'image/png', bytes: Buffer.alloc(2 * KB), loc: 'p.png' }]);
  const r = await planAdaptation(one.message, one.content, caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.outcome.contentType, 'image/jpeg');
  t.equal(r.outcome.parts.length, 1, 'no SMIL for a single part');
  t.equal(r.outcome.parts[0]!.contentLocation, 'p.jpg');
  const vid = msg('video/mp4', [{ type: 'video/mp4', bytes: Buffer.alloc(KB * KB), loc: 'v.mp4' }]);
  const r2 = await planAdaptation(vid.message, vid.content, caps(), fakeTools());
  if (!r2.ok) throw new Error(r2.detail);
  t.equal(r2.outcome.contentType, 'text/plain');
  t.equal(r2.content[0]!.toString(), 'Removed: video v.mp4 (1.0 MB), not supported by this phone');
});

t.test('audio and video through tools.av when ffmpeg is there; a tool answer not taken is removed', async (t) => {
  const { message, content } = msg('application/vnd.wap.multipart.mixed', [
    { type: 'video/mp4', bytes: Buffer.alloc(KB * KB), loc: 'v.mp4' },
    { type: 'audio/amr', bytes: Buffer.alloc(10 * KB), loc: 'a.amr' },
  ]);
  const tools = fakeTools({ avAvailable: true });
  const r = await planAdaptation(message, content, caps(), tools);
  if (!r.ok) throw new Error(r.detail);
  t.same(
    tools.avCalls.map((c) => c.type),
    ['video/mp4'],
    'the AMR (taken, within) is not shown to ffmpeg',
  );
  t.ok(r.outcome.parts.some((p) => p.contentType === 'video/3gpp' && p.contentLocation === 'v.3gp'));

  const webp = msg('image/webp', [{ type: 'image/webp', bytes: Buffer.alloc(KB), loc: 'w.webp' }]);
  const r2 = await planAdaptation(webp.message, webp.content, caps(), fakeTools({ imageOut: 'image/png' }));
  if (!r2.ok) throw new Error(r2.detail);
  t.match(r2.content[0]!.toString(), /^Removed: image w\.webp \(1 KB\), not supported by this phone$/);
});

t.test('refusals: text alone over the limit; parts and content that do not match', async (t) => {
  const huge = msg('text/plain', [{ type: 'text/plain', bytes: Buffer.alloc(400 * KB, 0x61) }]);
  const r = await planAdaptation(huge.message, huge.content, caps(), fakeTools());
  t.same(r.ok ? null : [r.code], ['message-too-large']);
  const bad = msg('text/plain', [{ type: 'text/plain', bytes: TEXT }]);
  const r2 = await planAdaptation(bad.message, [], caps(), fakeTools());
  t.same(r2.ok ? null : [r2.code], ['format-corrupt']);
});

t.test('a handset that takes no SMIL: the SMIL removed, the message mixed', async (t) => {
  const { message, content } = msg(
    'application/vnd.wap.multipart.related',
    [
      { type: 'application/smil', bytes: SMIL_DOC('a.jpg', 'a.txt'), cid: '<s>' },
      { type: 'image/jpeg', bytes: Buffer.alloc(KB), loc: 'a.jpg' },
    ],
    { contentTypeParams: { type: 'application/smil', start: '<s>' } },
  );
  const r = await planAdaptation(message, content, caps({ contentTypes: ['image/jpeg', 'text/plain'] }), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.outcome.contentType, 'application/vnd.wap.multipart.mixed');
  t.equal(r.outcome.contentTypeParams, undefined);
  t.same(
    r.outcome.parts.map((p) => p.contentType),
    ['image/jpeg', 'text/plain'],
  );
});

t.test('the removal text stays short: names cleaned and bounded, the rest counted', async (t) => {
  const parts = Array.from({ length: 30 }, (_, k) => ({
    type: 'video/mp4',
    bytes: Buffer.alloc(100 + k),
    loc: `clip\r\n${'x'.repeat(80)}${k}.mp4`,
  }));
  const { message, content } = msg('application/vnd.wap.multipart.mixed', [{ type: 'text/plain', bytes: TEXT }, ...parts]);
  const r = await planAdaptation(message, content, caps(), fakeTools());
  if (!r.ok) throw new Error(r.detail);
  const note = r.content.at(-1)!.toString('utf8');
  t.ok(Buffer.byteLength(note) <= 320, `${Buffer.byteLength(note)} bytes`);
  t.notMatch(note, /[\r\n]/, 'no control characters from the sender');
  t.match(note, /^Removed: video clipx{54}\.\.\.|^Removed: video clipx+ \(100 bytes\)/);
  t.match(note, /; and 2\d more$/);
  t.equal(r.outcome.parts.filter((p) => p.contentType === 'text/plain').length, 2, 'one removal text for 30 parts');
});
