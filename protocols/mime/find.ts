// Locating parts of a parsed multipart: the root of a multipart/related, and the target of an href.
import { percentDecode } from './charset.js';
import type { MimeEntity } from './model.js';

/** "<id>" -> "id" (spaces inside the brackets trimmed); anything else trimmed. No regex: it runs per part. */
export const stripAngles = (v: string): string => {
  const t = v.trim();
  return t.length >= 2 && t.charCodeAt(0) === 0x3c && t.charCodeAt(t.length - 1) === 0x3e ? t.slice(1, -1).trim() : t;
};

/** RFC 2387 §3.2: the part whose Content-ID equals the `start` parameter (with or without <>), else the first part. */
export function startPart(related: MimeEntity): MimeEntity | undefined {
  const parts = related.parts ?? [];
  const start = related.contentType.params['start'];
  if (start !== undefined && stripAngles(start) !== '') {
    const id = stripAngles(start);
    const found = parts.find((p) => p.contentId === id);
    if (found) return found;
  }
  return parts[0];
}

/**
 * Find the part an href points at: "cid:x" (RFC 2392: URL-decoded, compared with the Content-ID),
 * "<x>" (a Content-ID), or a bare "x" (a Content-ID, else a Content-Location). Searches every entity,
 * nested multiparts and the multipart entities themselves included, depth-first in document order.
 */
export function findPart(root: MimeEntity, href: string): MimeEntity | undefined {
  const h = href.trim();
  if (/^cid:/i.test(h)) {
    const id = stripAngles(percentDecode(h.slice(4)).toString('utf8'));
    return id === '' ? undefined : search(root, (e) => e.contentId === id);
  }
  const id = stripAngles(h);
  if (id === '') return undefined;
  if (h.startsWith('<')) return search(root, (e) => e.contentId === id);
  return search(root, (e) => e.contentId === id) ?? search(root, (e) => e.contentLocation === h);
}

/**
 * How `e` answers to an href, as findPart compares: 'id' (its Content-ID), 'location' (a bare href equal
 * to its Content-Location, which findPart takes only when no Content-ID matches anywhere), or undefined.
 * For callers that must decide while a body is still arriving (a streaming parser's leaf sinks).
 */
export function hrefMatch(e: MimeEntity, href: string): 'id' | 'location' | undefined {
  const h = href.trim();
  const cid = /^cid:/i.test(h);
  const id = stripAngles(cid ? percentDecode(h.slice(4)).toString('utf8') : h);
  if (id === '') return undefined;
  if (e.contentId === id) return 'id';
  return !cid && !h.startsWith('<') && e.contentLocation === h ? 'location' : undefined;
}

// An explicit stack: a hand-built tree may be deeper than any parser limit.
function search(root: MimeEntity, match: (e: MimeEntity) => boolean): MimeEntity | undefined {
  const todo: MimeEntity[] = [root];
  for (let e = todo.pop(); e !== undefined; e = todo.pop()) {
    if (match(e)) return e;
    const parts = e.parts ?? [];
    for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as MimeEntity);
  }
  return undefined;
}
