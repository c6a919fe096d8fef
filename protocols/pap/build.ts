/**
 * The push submission request (WAP-247-PAP-20010429 §8.2): a multipart/related body (RFC 2387) whose first
 * part, the control entity, is the PAP XML document holding a push-message (§9.2), and whose second part, the
 * content entity, is what the PPG pushes, with its own Content-Type and X-Wap-Application-Id.
 *
 * Every attribute value goes through escapeXmlAttr; nothing from the caller is written into the XML or the
 * MIME headers unchecked. The boundary is derived from the content (a hash), so the output is a function of the
 * input, and is checked not to occur inside either part (RFC 2046 §5.1.1).
 */
import { createHash } from 'node:crypto';
import { PapError } from './errors.js';
import type { PapContent, PapDeliveryMethod, PapPushMessage, PapRequest } from './model.js';

/** §8.2: the control entity is a PAP 2.0 document. Kannel's PPG answers with the 1.0 DOCTYPE; both are read. */
export const PAP_DOCTYPE = '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">';
export const PAP_CONTROL_CONTENT_TYPE = 'application/xml';

const CRLF = '\r\n';
const DELIVERY_METHODS: ReadonlySet<PapDeliveryMethod> = new Set(['confirmed', 'unconfirmed', 'preferconfirmed', 'notspecified']);
// WAP-249-PPGService §6.1: global-phone-number = "+" 1*(DIGIT / written-sep); we take E.164 only (1-15 digits).
const E164 = /^\+[0-9]{1,15}$/;
// ppg-specifier = "@" dom-fragment *("." dom-fragment), dom-fragment = alphanum *(alphanum / "-").
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
// RFC 2045 token / type "/" subtype with parameters: no CR, LF or NUL (they would end the field).
const FIELD_VALUE = /^[^\r\n\0]+$/;

/** Characters XML 1.0 allows (§2.2 Char); anything else cannot be written, even as a reference. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * An attribute value for a double-quoted attribute: & < > " ' escaped, and tab, CR, LF as character references
 * so that attribute-value normalisation (XML 1.0 §3.3.3) does not turn them into spaces. Throws PapError
 * INVALID_MESSAGE for characters XML cannot carry (NUL, other C0 controls, lone surrogates, U+FFFE/FFFF).
 */
export function escapeXmlAttr(value: string, what = 'attribute'): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (!isXmlChar(cp))
      throw new PapError('INVALID_MESSAGE', `${what} contains U+${cp.toString(16).toUpperCase().padStart(4, '0')}, which XML cannot carry`);
    switch (ch) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&apos;';
        break;
      case '\t':
        out += '&#9;';
        break;
      case '\n':
        out += '&#10;';
        break;
      case '\r':
        out += '&#13;';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/**
 * The address-value of a phone number (WAP-249-PPGService §6.1): `WAPPUSH=+15551234567/TYPE=PLMN`, with
 * `@domain` (the ppg-specifier) when given. Kannel treats the ppg-specifier as optional for PLMN addresses.
 */
export function formatPapAddress(address: string, domain?: string): string {
  if (!E164.test(address)) throw new PapError('INVALID_MESSAGE', `address "${address.slice(0, 40)}" is not E.164 (+ and 1-15 digits)`);
  if (domain !== undefined && (!DOMAIN.test(domain) || domain.length > 253)) {
    throw new PapError('INVALID_MESSAGE', `addressDomain "${domain.slice(0, 40)}" is not a domain name`);
  }
  return `WAPPUSH=${address}/TYPE=PLMN${domain !== undefined ? `@${domain}` : ''}`;
}

/**
 * A PAP timestamp (§9.2, the ISO 8601 UTC form of the PAP DTD): `YYYY-MM-DDThh:mm:ssZ`, no fraction (Kannel's
 * parse_date insists on exactly 20 characters).
 */
export function formatPapTimestamp(d: Date, what = 'timestamp'): string {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
    throw new PapError('INVALID_MESSAGE', `${what} is not a valid date between years 0 and 9999`);
  }
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The control entity: the PAP document with one push-message (§9.2) to one address. */
export function buildPapControl(msg: PapPushMessage): string {
  if (typeof msg.pushId !== 'string' || msg.pushId.trim() === '') throw new PapError('INVALID_MESSAGE', 'pushId is empty');
  const attrs: string[] = [`push-id="${escapeXmlAttr(msg.pushId, 'pushId')}"`];
  if (msg.deliverBeforeTimestamp !== undefined)
    attrs.push(`deliver-before-timestamp="${formatPapTimestamp(msg.deliverBeforeTimestamp, 'deliverBeforeTimestamp')}"`);
  if (msg.deliverAfterTimestamp !== undefined)
    attrs.push(`deliver-after-timestamp="${formatPapTimestamp(msg.deliverAfterTimestamp, 'deliverAfterTimestamp')}"`);
  if (msg.sourceReference !== undefined) attrs.push(`source-reference="${escapeXmlAttr(msg.sourceReference, 'sourceReference')}"`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    PAP_DOCTYPE,
    '<pap>',
    `<push-message ${attrs.join(' ')}>`,
    `<address address-value="${escapeXmlAttr(formatPapAddress(msg.address, msg.addressDomain))}"/>`,
  ];
  if (msg.deliveryMethod !== undefined) {
    if (!DELIVERY_METHODS.has(msg.deliveryMethod))
      throw new PapError('INVALID_MESSAGE', `deliveryMethod "${String(msg.deliveryMethod)}" is not one of §9.2's`);
    lines.push(`<quality-of-service delivery-method="${msg.deliveryMethod}"/>`);
  }
  lines.push('</push-message>', '</pap>');
  return lines.join(CRLF);
}

function field(name: string, value: string): string {
  if (!FIELD_VALUE.test(value)) throw new PapError('INVALID_MESSAGE', `${name} is empty or contains a line break or NUL`);
  return `${name}: ${value}`;
}

/**
 * The whole request: `contentType` is `multipart/related; boundary=...; type="application/xml"` (§8.2: the
 * type parameter names the control entity, which comes first), `body` the two entities. The content entity's
 * body is written as is, in binary (HTTP is 8-bit clean; no Content-Transfer-Encoding, RFC 2616 §19.4.5).
 * Throws PapError INVALID_MESSAGE for a push or content it cannot write.
 */
export function buildPapRequest(msg: PapPushMessage, content: PapContent): PapRequest {
  const control = Buffer.from(buildPapControl(msg), 'utf8');
  const controlHead = Buffer.from(field('Content-Type', PAP_CONTROL_CONTENT_TYPE) + CRLF + CRLF);
  const contentHead = Buffer.from(
    [field('Content-Type', content.contentType), field('X-Wap-Application-Id', content.applicationId)].join(CRLF) + CRLF + CRLF,
  );
  if (!Buffer.isBuffer(content.body)) throw new PapError('INVALID_MESSAGE', 'content body is not a Buffer');
  const parts = [Buffer.concat([controlHead, control]), Buffer.concat([contentHead, content.body])];

  // RFC 2046 §5.1.1: the boundary must not occur in the parts it delimits. A hash of the content almost never
  // does; the counter settles the rest.
  const hash = createHash('sha256').update(control).update(content.body).digest('hex').slice(0, 32);
  let boundary = '';
  for (let n = 0; ; n++) {
    boundary = `pap-${hash}${n === 0 ? '' : `-${n}`}`;
    const dash = Buffer.from(`--${boundary}`);
    if (!parts.some((p) => p.includes(dash))) break;
  }
  const out: Buffer[] = [];
  for (const p of parts) out.push(Buffer.from(`--${boundary}${CRLF}`), p, Buffer.from(CRLF));
  out.push(Buffer.from(`--${boundary}--${CRLF}`));
  return {
    contentType: `multipart/related; boundary=${boundary}; type="${PAP_CONTROL_CONTENT_TYPE}"`,
    body: Buffer.concat(out),
  };
}
