/**
 * Writes an MMS SMIL presentation (OMA-MMS-CONF v1.2, "MMS SMIL"): `<smil>` with a `<head>` holding one
 * `<layout>` (a `<root-layout>` and the regions `Image` and `Text`, only those the slides use) and a `<body>`
 * of `<par>` slides in order. Each slide holds at most one image or video (region Image), one text (region
 * Text) and one audio; a slide never holds both a video and an audio (the handset plays one time-based media
 * per slide). Pure: strings in, a string out.
 */
import type { SmilElement, SmilLayout, SmilMedia, SmilPresentation, SmilSlide } from './model.js';
import { SmilError } from './model.js';

/** Slide duration when a slide does not say (5 s: the usual MMS composer default). */
export const DEFAULT_SLIDE_DUR = '5000ms';

const CLOCK = /^\d{1,7}(\.\d{1,3})?(ms|s)?$/;

/** Whether `v` is a SMIL clock value this builder writes as given (a plain count, s or ms). */
export function isClockValue(v: string): boolean {
  return CLOCK.test(v);
}

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function esc(v: string): string {
  return v.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** Which slot of a slide an element takes (OMA-MMS-CONF MMS SMIL: one image-or-video, one text, one audio). */
function slot(e: SmilElement): 'visual' | 'text' | 'audio' | 'ref' {
  if (e === 'img' || e === 'video') return 'visual';
  return e === 'text' ? 'text' : e === 'audio' ? 'audio' : 'ref';
}

/** The element a media type is shown by; undefined for a type MMS SMIL does not present (vCard, ...: an attachment). */
export function elementFor(contentType: string): SmilElement | undefined {
  const t = contentType.toLowerCase();
  if (t.startsWith('image/')) return 'img';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (t === 'text/plain') return 'text';
  return undefined;
}

/**
 * Groups media, in message order, into slides: a new slide starts when the current one already has that slot
 * filled, or when a video would meet an audio. Parts whose type has no element (elementFor) are left out:
 * they stay in the message as attachments.
 */
export function slidesFor(items: readonly { contentType: string; src: string }[]): SmilSlide[] {
  const slides: SmilSlide[] = [];
  let cur: SmilMedia[] = [];
  const has = (s: string) => cur.some((m) => slot(m.element) === s);
  const hasEl = (e: SmilElement) => cur.some((m) => m.element === e);
  for (const it of items) {
    const element = elementFor(it.contentType);
    if (element === undefined) continue;
    const s = slot(element);
    const clash = has(s) || (element === 'video' && hasEl('audio')) || (element === 'audio' && hasEl('video'));
    if (clash && cur.length > 0) {
      slides.push({ media: cur });
      cur = [];
    }
    cur.push({ element, src: it.src, ...(s === 'visual' ? { region: 'Image' } : s === 'text' ? { region: 'Text' } : {}) });
  }
  if (cur.length > 0) slides.push({ media: cur });
  return slides;
}

/**
 * The SMIL document for `p`. Regions: `Image` on top (three quarters of the height when a text shares the
 * screen), `Text` below; a presentation with only one of them gives it the whole root-layout. Media whose
 * region is not Image/Text is put in the region of its slot; audio has none.
 */
export function buildSmil(p: SmilPresentation, layout: SmilLayout): string {
  const w = Math.round(layout.width);
  const h = Math.round(layout.height);
  if (!Number.isFinite(w) || !Number.isFinite(h) || w < 1 || h < 1 || w > 16_384 || h > 16_384)
    throw new SmilError('NOT_SMIL', `root-layout ${layout.width}x${layout.height} is not a screen size`);
  const all = p.slides.flatMap((s) => s.media);
  const visual = all.some((m) => slot(m.element) === 'visual');
  const text = all.some((m) => slot(m.element) === 'text' || m.element === 'ref');
  const imageH = visual && text ? Math.round(h * 0.75) : h;
  const out: string[] = ['<smil xmlns="http://www.w3.org/2001/SMIL20/Language">', '<head>', '<layout>'];
  out.push(`<root-layout width="${w}" height="${h}"/>`);
  if (visual) out.push(`<region id="Image" width="${w}" height="${imageH}" left="0" top="0" fit="meet"/>`);
  if (text)
    out.push(`<region id="Text" width="${w}" height="${visual ? h - imageH : h}" left="0" top="${visual ? imageH : 0}" fit="scroll"/>`);
  out.push('</layout>', '</head>', '<body>');
  for (const s of p.slides) {
    if (s.media.length === 0) continue;
    const dur = s.dur !== undefined && isClockValue(s.dur) ? s.dur : DEFAULT_SLIDE_DUR;
    out.push(`<par dur="${dur}">`);
    for (const m of s.media) {
      const sl = slot(m.element);
      const region = sl === 'visual' ? 'Image' : sl === 'audio' ? undefined : 'Text';
      const alt = m.alt !== undefined ? ` alt="${esc(m.alt)}"` : '';
      out.push(`<${m.element} src="${esc(m.src)}"${region ? ` region="${region}"` : ''}${alt}/>`);
    }
    out.push('</par>');
  }
  out.push('</body>', '</smil>');
  return out.join('\n') + '\n';
}
