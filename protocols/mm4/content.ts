// The MM's MIME tree (the body of MM4_forward.REQ, §8.4.1.1 "Content") to and from protocols/mime.
import { isAscii, isUtf8 } from 'node:buffer';
import { MimeError, base64Lines, buildMultipartChunks, formatContentType, parseMultipart, parseSinglePart } from '../mime/index.js';
import type { ContentType, MimeEntity, MimeHeader, MimeHeaders, OutboundMultipart, OutboundPart, StreamOptions } from '../mime/index.js';
import { Mm4Error } from './errors.js';
import type { Mm4Content, Mm4Multipart, Mm4Part } from './model.js';

const OWN = new Set(['content-type', 'content-transfer-encoding', 'content-id', 'content-location', 'mime-version']);

export const isMultipart = (c: Mm4Content): c is Mm4Multipart => 'parts' in c;

/**
 * Top-level fields and body of the content: Content-Type, and Content-Transfer-Encoding when not 7bit. The body
 * is in pieces (buildMultipartChunks), which buildMm4 copies once, after the header block.
 */
export function buildContent(content: Mm4Content, boundary: (depth: number) => string): { fields: MimeHeader[]; body: Buffer[] } {
  try {
    if (isMultipart(content)) {
      const { type, params } = content.contentType;
      const built = buildMultipartChunks(type, params, content.parts.map(outbound), boundary);
      const fields = [{ name: 'Content-Type', value: built.contentType }];
      // RFC 2045 §6.4: a multipart holding an 8bit part is 8bit itself.
      // isAscii is native: a per-byte callback over a 70 KB body was a tenth of a forward's CPU (bench/mm4.ts).
      if (!built.chunks.every((c) => isAscii(c))) fields.push({ name: 'Content-Transfer-Encoding', value: '8bit' });
      return { fields, body: built.chunks };
    }
    const single = singlePart(content);
    return { fields: single.fields, body: [single.body] };
  } catch (e) {
    if (e instanceof RangeError || e instanceof MimeError) throw new Mm4Error('BUILD_INVALID', `content: ${e.message}`, { cause: e });
    throw e;
  }
}

function outbound(c: Mm4Content): OutboundPart | OutboundMultipart {
  if (!isMultipart(c)) return leafOut(c);
  const parts = c.parts.map((p) => {
    if (isMultipart(p)) throw new RangeError('multiparts nested more than two levels deep are not written');
    return leafOut(p);
  });
  const { type, params } = c.contentType;
  const out: OutboundMultipart = { contentType: c.contentType, multipart: { type, params, parts } };
  if (c.contentId !== undefined) out.contentId = c.contentId;
  return out;
}

function leafOut(p: Mm4Part): OutboundPart {
  const out: OutboundPart = { contentType: p.contentType, body: p.body };
  if (p.contentId !== undefined) out.contentId = p.contentId;
  if (p.contentLocation !== undefined) out.contentLocation = p.contentLocation;
  if (p.headers !== undefined) out.headers = p.headers;
  return out;
}

// A single-part MM (a text-only forward): the same choice as buildMultipart's leaves, 8bit text or base64.
function singlePart(p: Mm4Part): { fields: MimeHeader[]; body: Buffer } {
  const t = p.contentType.type;
  const textual = t.startsWith('text/') || t === 'application/smil' || t.endsWith('/xml') || t.endsWith('+xml');
  const asText =
    textual &&
    !p.body.includes(0) &&
    isUtf8(p.body) &&
    p.body
      .toString('latin1')
      .split('\n')
      .every((l) => l.length <= 999);
  const fields: MimeHeader[] = [
    { name: 'Content-Type', value: formatContentType(p.contentType) },
    { name: 'Content-Transfer-Encoding', value: asText ? '8bit' : 'base64' },
  ];
  if (p.contentId !== undefined) fields.push({ name: 'Content-ID', value: `<${p.contentId}>` });
  if (p.contentLocation !== undefined) fields.push({ name: 'Content-Location', value: p.contentLocation });
  for (const h of p.headers ?? []) fields.push(h);
  return { fields, body: asText ? p.body : base64Lines(p.body) };
}

/**
 * Reads the body whose top-level fields are `headers` into the MM's tree. With `stream`, the leaves of a
 * multipart body go to its sinks as they arrive (protocols/mime StreamOptions) and keep only their size; a
 * single-part body is read whole (within maxBytes).
 */
export async function parseContent(
  headers: MimeHeaders,
  body: Buffer | AsyncIterable<Buffer>,
  maxBytes: number,
  stream?: StreamOptions,
): Promise<Mm4Content> {
  const ct = headers.get('content-type') ?? 'text/plain; charset=us-ascii'; // RFC 2045 §5.2 default
  const cte = headers.get('content-transfer-encoding') ?? '7bit';
  try {
    const source = Buffer.isBuffer(body)
      ? (async function* () {
          yield body;
        })()
      : body;
    const root = /^\s*multipart\//i.test(ct)
      ? await parseMultipart(source, ct, { maxBytes }, stream)
      : await parseSinglePart(source, ct, cte, { maxBytes });
    if (root.parts !== undefined && /^(base64|quoted-printable)$/i.test(cte.trim())) {
      throw new MimeError('BAD_ENCODING', `multipart body with Content-Transfer-Encoding ${cte} (RFC 2045 §6.4)`);
    }
    const top = fromEntity(root);
    return top;
  } catch (e) {
    if (e instanceof MimeError)
      throw new Mm4Error(e.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'BAD_BODY', `body: ${e.code}: ${e.message}`, { cause: e });
    throw e;
  }
}

// An explicit stack would be needed for a tree deeper than protocols/mime's maxDepth (8): recursion is bounded by it.
function fromEntity(e: MimeEntity): Mm4Content {
  const contentType: ContentType = e.contentType;
  if (e.parts !== undefined) {
    const m: Mm4Multipart = { contentType: withoutBoundary(contentType), parts: e.parts.map(fromEntity) };
    if (e.contentId !== undefined) m.contentId = e.contentId;
    return m;
  }
  const p: Mm4Part = { contentType, body: e.body ?? Buffer.alloc(0) };
  if (e.streamedBytes !== undefined) p.streamedBytes = e.streamedBytes;
  if (e.contentId !== undefined) p.contentId = e.contentId;
  if (e.contentLocation !== undefined) p.contentLocation = e.contentLocation;
  const extra = e.headers.entries().filter((h) => !OWN.has(h.name.toLowerCase()));
  if (extra.length > 0) p.headers = extra.map((h) => ({ name: h.name, value: h.value }));
  return p;
}

// The boundary is chosen when the tree is written again; keeping it would make a built tree differ from its input.
function withoutBoundary(ct: ContentType): ContentType {
  return { type: ct.type, params: Object.fromEntries(Object.entries(ct.params).filter(([k]) => k !== 'boundary')) };
}
