/**
 * The presentation of an adapted message (issue 25: "SMIL regenerated to match, and generated for messages
 * that arrived without one"). A SMIL that came with the message is read (protocols/smil) and written again
 * with what is left: references to removed parts gone (and slides left empty), references by Content-Location
 * following a renamed part (photo.png -> photo.jpg), references by cid: kept. A message without one gets the
 * OMA-MMS-CONF MMS SMIL layout: its presentable parts in order, one image or video, one text, one audio a slide.
 * The removal text, when there is one, is the last slide.
 */
import { buildSmil, readSmil, resolveRef, slidesFor, SmilError, type SmilSlide } from '../../protocols/smil/index.js';
import type { ContentRef } from '../core/message.js';

export interface SmilPlan {
  bytes: Buffer;
  slides: number;
  /** Set when the original SMIL could not be read and a new one was generated instead (the SmilError code). */
  unreadable?: string;
}

/**
 * `original`: the message's parts as they came; `now[i]`: what became of original part i (undefined: removed).
 * `smil`: the original SMIL's bytes (undefined: generate). `note`: the removal text part, if any.
 */
export function planSmil(
  original: readonly ContentRef[],
  now: readonly (ContentRef | undefined)[],
  smil: Buffer | undefined,
  note: ContentRef | undefined,
  layout: { width: number; height: number },
  srcOf: (p: ContentRef) => string,
): SmilPlan {
  let slides: SmilSlide[] | undefined;
  let unreadable: string | undefined;
  if (smil !== undefined) {
    try {
      slides = [];
      for (const s of readSmil(smil).slides) {
        const media = s.media.flatMap((m) => {
          const k = resolveRef(m.src, original);
          const part = k === undefined ? undefined : now[k];
          // A reference to a removed part, or to none at all: the element goes.
          if (k === undefined || part === undefined) return [];
          const byCid = /^cid:/i.test(m.src.trim());
          return [{ ...m, src: byCid ? m.src : srcOf(part) }];
        });
        if (media.length > 0) slides.push(s.dur !== undefined ? { media, dur: s.dur } : { media });
      }
    } catch (e) {
      if (!(e instanceof SmilError)) throw e;
      unreadable = e.code;
      slides = undefined;
    }
  }
  if (slides === undefined) {
    const items = now.filter((p): p is ContentRef => p !== undefined && p.contentType !== 'application/smil');
    slides = slidesFor(items.map((p) => ({ contentType: p.contentType, src: srcOf(p) })));
  }
  if (note) slides.push({ media: [{ element: 'text', src: srcOf(note), region: 'Text' }] });
  const bytes = Buffer.from(buildSmil({ slides }, layout), 'utf8');
  return unreadable !== undefined ? { bytes, slides: slides.length, unreadable } : { bytes, slides: slides.length };
}
