/**
 * Reads the presentation of a SMIL part that came with a message (hostile input: any handset, VASP or peer
 * wrote it). Bounded before it is read: size first, then the shared pre-scan (protocols/xml) that counts
 * elements, attributes, tokens and depth and refuses any internal DTD subset or entity declaration (so no
 * entity is ever expanded); a plain `<!DOCTYPE smil PUBLIC ...>`, which composers write, is allowed and blanked.
 * fast-xml-parser then reads the tokens with entity processing off.
 *
 * Names are matched by local name, case-insensitively (a SMIL 2.0 namespace, a prefix, or a handset's
 * `<SMIL>`), so that real messages read. Slides: each `<par>` is one, its media elements in document order at
 * any depth; a media element outside any `<par>` (directly in `<body>` or a `<seq>`) is a slide of its own.
 */
import { decodeXmlBytes, markedParser, prescan, readElements, unmarkName, type XmlElement, type XmlFail } from '../xml/index.js';
import { isClockValue } from './build.js';
import type { SmilElement, SmilLimits, SmilMedia, SmilPresentation, SmilSlide } from './model.js';
import { SmilError } from './model.js';

export const DEFAULT_SMIL_LIMITS: Readonly<Required<SmilLimits>> = Object.freeze({
  maxBytes: 128 * 1024,
  maxElements: 2_000,
  maxAttributes: 10_000,
  maxTokens: 20_000,
  maxDepth: 32,
});

const fail: XmlFail = (code, detail) => new SmilError(code, detail);
const parser = markedParser({ trimValues: true });
const MEDIA = new Set<string>(['img', 'video', 'text', 'audio', 'ref', 'animation', 'textstream']);

type El = XmlElement;

/** A name's local part, lower case: `smil:par` and `PAR` are `par`. */
function local(name: string): string {
  const n = unmarkName(name);
  const c = n.indexOf(':');
  return (c >= 0 ? n.slice(c + 1) : n).toLowerCase();
}

function text(input: string | Buffer, maxBytes: number): string {
  if (typeof input === 'string') {
    if (Buffer.byteLength(input) > maxBytes) throw new SmilError('TOO_LARGE', `SMIL above ${maxBytes} bytes`);
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!Buffer.isBuffer(input)) throw new SmilError('NOT_XML', 'input is neither a string nor a Buffer');
  if (input.length > maxBytes) throw new SmilError('TOO_LARGE', `SMIL above ${maxBytes} bytes`);
  return decodeXmlBytes(input, fail);
}

function media(el: El): SmilMedia | undefined {
  const src = el.attrs.get('src')?.trim();
  if (src === undefined || src === '') return undefined;
  // animation/textstream are SMIL 2.0 names some composers use for GIFs and text: the MMS element of their slot.
  const element: SmilElement = el.name === 'animation' ? 'img' : el.name === 'textstream' ? 'text' : (el.name as SmilElement);
  const m: SmilMedia = { element, src };
  const region = el.attrs.get('region');
  if (region !== undefined) m.region = region;
  const alt = el.attrs.get('alt');
  if (alt !== undefined) m.alt = alt;
  return m;
}

/** Media elements of a subtree, in document order (iterative: depth is bounded by the pre-scan anyway). */
function mediaIn(root: El): SmilMedia[] {
  const out: SmilMedia[] = [];
  const stack: El[] = [...root.children].reverse();
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (MEDIA.has(el.name)) {
      const m = media(el);
      if (m) out.push(m);
    } else for (let k = el.children.length - 1; k >= 0; k--) stack.push(el.children[k]!);
  }
  return out;
}

function slidesOf(container: El, slides: SmilSlide[]): void {
  for (const el of container.children) {
    if (el.name === 'par') {
      const m = mediaIn(el);
      if (m.length === 0) continue;
      const dur = el.attrs.get('dur')?.trim();
      slides.push(dur !== undefined && isClockValue(dur) ? { media: m, dur } : { media: m });
    } else if (MEDIA.has(el.name)) {
      const m = media(el);
      if (m) slides.push({ media: [m] });
    } else slidesOf(el, slides); // seq, excl, switch, a:...: what they hold, in order
  }
}

/**
 * The slides of a SMIL document. Throws SmilError (never anything else) for a document too large, not
 * well-formed, declaring entities, over the limits, or whose root is not `<smil>`.
 */
export function readSmil(input: string | Buffer, limits: SmilLimits = {}): SmilPresentation {
  const lim = { ...DEFAULT_SMIL_LIMITS, ...limits };
  const body = prescan(
    text(input, lim.maxBytes),
    {
      maxElements: lim.maxElements,
      maxAttributes: lim.maxAttributes,
      maxTokens: lim.maxTokens,
      maxDepth: lim.maxDepth,
      doctype: 'allow-external',
    },
    fail,
  ).trim();
  if (body === '') throw new SmilError('NOT_XML', 'empty SMIL');
  const roots = readElements(body, parser, fail, (n) => local(n));
  if (roots.length !== 1 || roots[0]!.name !== 'smil') throw new SmilError('NOT_SMIL', 'the root element is not <smil>');
  const slides: SmilSlide[] = [];
  for (const el of roots[0]!.children) if (el.name === 'body') slidesOf(el, slides);
  return { slides };
}

/** Every src a presentation names, in order (img, video, audio, text, ref), duplicates kept once. */
export function smilRefs(p: SmilPresentation): string[] {
  return [...new Set(p.slides.flatMap((s) => s.media.map((m) => m.src)))];
}
