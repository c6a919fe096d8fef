import { createHash } from 'node:crypto';

/**
 * The web view behind the SMS fallback link (`/m/:token`): one static HTML page with the message's text, its
 * images, players for audio and video and download links for anything else. Subscribers without MMS open it on
 * whatever phone browser they have, so it is plain HTML with a small inline style sheet, no scripts, and it must
 * work with JavaScript off. Pure: the caller loads the message, decodes text parts and serves the page and media.
 */

export interface ViewPart {
  /** The part's index; its bytes are served at mediaHref(index). */
  index: number;
  /** Media type, lower case, no parameters (e.g. 'image/jpeg', 'text/plain', 'application/smil'). */
  contentType: string;
  /** File name / Content-Location, for link text. */
  name?: string;
  /** Bytes. */
  size: number;
  /** Set for text parts: already decoded to a JS string by the caller. */
  text?: string;
}

export interface ViewModel {
  subject?: string;
  from?: string;
  sentAt: Date;
  parts: ViewPart[];
  mediaHref: (index: number) => string;
}

// No background images, fonts or colours to load: system fonts, dark text on white (the conformance check looks
// for dark pixels where the text is). overflow-wrap keeps long words and URLs from widening the page on phones.
const CSS = [
  'html{-webkit-text-size-adjust:100%}',
  'body{margin:0;background:#fff;color:#111;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}',
  'main{max-width:40rem;margin:0 auto;padding:1rem}',
  'h1{font-size:1.4rem;line-height:1.25;margin:0 0 .25rem}',
  '.meta{margin:0 0 1rem;color:#555;font-size:.9rem}',
  '.part{margin:0 0 1rem}',
  '.text p{margin:0 0 .75rem}',
  'img,video{display:block;max-width:100%;height:auto}',
  'audio{display:block;width:100%}',
  '.file{font-size:.9rem;color:#555}',
  'a{color:#0645ad}',
].join('');

// A hash rather than 'unsafe-inline': only this exact style sheet applies, so injected markup could not style
// the page even if escaping ever failed. style="" attributes would need 'unsafe-hashes', hence none are used.
const CSS_HASH = createHash('sha256').update(CSS, 'utf8').digest('base64');

/**
 * The Content-Security-Policy header value to send with renderWebView() and renderViewError() pages: nothing
 * but same-origin images and media and our own style sheet; no scripts, frames, forms or plugins at all.
 */
export const WEB_VIEW_CSP = [
  "default-src 'none'",
  "img-src 'self'",
  "media-src 'self'",
  `style-src 'sha256-${CSS_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in text and in quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** "512 B", "12.3 KB", "4.1 MB" (binary multiples, as phones show file sizes). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** UTC on purpose: the server does not know the reader's time zone and there is no script to convert it. */
function formatDate(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

// Types a browser will not render in <img> (WAP bitmaps from old handsets): offered as files instead.
const NOT_DISPLAYABLE_IMAGES = new Set(['image/vnd.wap.wbmp', 'image/tiff']);

type Kind = 'text' | 'image' | 'audio' | 'video' | 'file' | 'layout';

function kindOf(p: ViewPart): Kind {
  const t = p.contentType;
  if (t === 'application/smil') return 'layout'; // the presentation layout, not content
  // Only plain text is prose; vCards, calendars and HTML are offered as files (HTML would show as tags).
  if (t === 'text/plain' && p.text !== undefined) return 'text';
  if (t.startsWith('image/') && !NOT_DISPLAYABLE_IMAGES.has(t)) return 'image';
  if (t.startsWith('audio/')) return 'audio';
  if (t.startsWith('video/')) return 'video';
  return 'file';
}

function label(p: ViewPart): string {
  return p.name !== undefined && p.name.trim() !== '' ? p.name : `${p.contentType} (part ${p.index + 1})`;
}

/** Blank lines separate paragraphs; single line breaks are kept as <br>. */
function paragraphs(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((para) => para.replace(/^\n+|\n+$/g, ''))
    .filter((para) => para.trim() !== '')
    .map((para) => `<p>${para.split('\n').map(escapeHtml).join('<br>')}</p>`)
    .join('');
}

function fileLink(p: ViewPart, href: string): string {
  const name = label(p);
  return `<a href="${href}" download="${escapeHtml(name)}">${escapeHtml(name)}</a> <span class="size">(${humanSize(p.size)})</span>`;
}

function renderPart(p: ViewPart, mediaHref: (index: number) => string): string {
  const kind = kindOf(p);
  if (kind === 'layout') return '';
  const attrs = `data-part="${escapeHtml(String(p.index))}" data-kind="${kind}"`;
  const href = escapeHtml(mediaHref(p.index));
  switch (kind) {
    case 'text':
      return `<div class="part text" ${attrs}>${paragraphs(p.text ?? '')}</div>`;
    case 'image':
      return `<figure class="part image" ${attrs}><img src="${href}" alt="${escapeHtml(p.name ?? `Image ${p.index + 1}`)}"></figure>`;
    case 'audio':
    case 'video':
      // Many MMS codecs (AMR, some 3GPP) do not play in browsers: the download link is always there too.
      return `<div class="part ${kind}" ${attrs}><${kind} controls preload="metadata" src="${href}"></${kind}><p class="file">${fileLink(p, href)}</p></div>`;
    case 'file':
      return `<p class="part file" ${attrs}>${fileLink(p, href)}</p>`;
  }
}

function page(title: string, body: string): string {
  return (
    '<!doctype html>\n' +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    // The token in the URL is the only key to the message: keep it out of search engines and Referer headers.
    '<meta name="robots" content="noindex, nofollow">\n<meta name="referrer" content="no-referrer">\n' +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`
  );
}

/** The whole HTML document for a message; parts in the given order, the SMIL layout left out. */
export function renderWebView(v: ViewModel): string {
  const subject = v.subject !== undefined && v.subject.trim() !== '' ? v.subject : 'Multimedia message';
  const meta: string[] = [];
  if (v.from !== undefined && v.from !== '') meta.push(`From <span class="from">${escapeHtml(v.from)}</span>`);
  if (!Number.isNaN(v.sentAt.getTime())) {
    meta.push(`<time datetime="${v.sentAt.toISOString()}">${formatDate(v.sentAt)}</time>`);
  }
  const header = `<header>\n<h1>${escapeHtml(subject)}</h1>\n${meta.length ? `<p class="meta">${meta.join(' · ')}</p>\n` : ''}</header>`;
  const parts = v.parts.map((p) => renderPart(p, v.mediaHref)).filter((s) => s !== '');
  return page(subject, [header, ...parts].join('\n'));
}

const ERRORS = {
  'not-found': ['Message not found', 'This link is not valid. Check that it was copied completely.'],
  expired: ['Message expired', 'This message is no longer available: messages are kept for a limited time only.'],
} as const;

/** A small page for a dead link (the server sends it with 404 or 410 and WEB_VIEW_CSP). */
export function renderViewError(status: 'not-found' | 'expired'): string {
  const [title, text] = ERRORS[status];
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p data-error="${status}">${escapeHtml(text)}</p>`);
}
