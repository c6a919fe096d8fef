/**
 * The PPG's answer to a push submission: a PAP document holding a push-response (WAP-247-PAP-20010429 §9.3)
 * or a badmessage-response (§9.12). The input comes from the network, so it is bounded before it is read:
 * size first, then one linear pre-scan that counts elements and depth and refuses any DTD internal subset or
 * markup declaration (so no entity is ever declared, let alone expanded: billion laughs and external entities
 * end there). A plain `<!DOCTYPE pap PUBLIC "..." "...">`, which PPGs send (Kannel sends the PAP 1.0 one), is
 * allowed and blanked out. fast-xml-parser then reads the tokens with its entity processing off; the five
 * predefined entities and character references are decoded here, any other reference is NOT_XML.
 */
import { decodeXmlBytes, markedParser, prescan, readElements, type XmlElement, type XmlFail } from '../xml/index.js';
import { isPapCode } from './codes.js';
import { PapError } from './errors.js';
import type { PapLimits, PapResponse } from './model.js';

export const DEFAULT_PAP_LIMITS: Readonly<Required<PapLimits>> = Object.freeze({
  maxBytes: 64 * 1024,
  maxElements: 100,
  maxAttributes: 400,
  maxTokens: 2000,
  maxDepth: 16,
});

/** Raises the pre-scan's and the reference decoder's refusals as PapError. */
const fail: XmlFail = (code, detail) => new PapError(code, detail);

/** Bytes -> text: BOM or the declaration's encoding (PAP documents are UTF-8 unless they say otherwise). */
function toText(input: string | Buffer, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) throw new PapError('TOO_LARGE', `answer above ${maxBytes} bytes`);
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!Buffer.isBuffer(input)) throw new PapError('NOT_XML', 'input is neither a string nor a Buffer');
  if (input.length > maxBytes) throw new PapError('TOO_LARGE', `answer above ${maxBytes} bytes`);
  return decodeXmlBytes(input, fail);
}

// Text is trimmed and then dropped (PAP carries everything in attributes); CDATA merges into it.
const parser = markedParser({ trimValues: true });

type Element = XmlElement;

function code(el: Element, where: string): number {
  const raw = el.attrs.get('code');
  if (raw === undefined) throw new PapError('MISSING_FIELD', `${where} has no code`);
  const v = raw.trim();
  if (!/^[0-9]{4}$/.test(v) || !isPapCode(Number(v)))
    throw new PapError('BAD_CODE', `${where} code "${v.slice(0, 20)}" is not a PAP status code (§9.13)`);
  return Number(v);
}

/** A PAP timestamp (YYYY-MM-DDThh:mm:ssZ); undefined when it is not one. */
function timestamp(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]! && d.getUTCHours() === +m[4]! ? d : undefined;
}

const opt = <K extends string>(key: K, v: string | undefined): { [P in K]?: string } =>
  v === undefined ? {} : ({ [key]: v } as { [P in K]?: string });

/**
 * Read a PPG's answer. Throws PapError (never anything else) for input that is too large, not well-formed,
 * declares entities, is not a PAP document, or lacks what §9.3 / §9.12 make mandatory (push-id, the
 * response-result and its code; the code of a badmessage-response).
 */
export function parsePapResponse(xml: Buffer | string, limits: PapLimits = {}): PapResponse {
  const lim = { ...DEFAULT_PAP_LIMITS, ...limits };
  // Leading white space before the declaration is not well-formed XML, but harmless; some servers send it.
  // PPGs send a PAP PUBLIC DOCTYPE (Kannel the 1.0 one): allowed without an internal subset, and blanked.
  const text = prescan(
    toText(xml, lim.maxBytes),
    {
      maxElements: lim.maxElements,
      maxAttributes: lim.maxAttributes,
      maxTokens: lim.maxTokens,
      maxDepth: lim.maxDepth,
      doctype: 'allow-external',
    },
    fail,
  ).trimStart();
  if (text === '') throw new PapError('NOT_XML', 'empty answer');
  const roots = readElements(text, parser, fail, (n) => n);
  if (roots.length !== 1 || roots[0]!.name !== 'pap')
    throw new PapError('NOT_PAP', `root element is ${roots.map((r) => `<${r.name}>`).join(', ') || 'missing'}, not <pap>`);
  const body = roots[0]!.children;
  if (body.length !== 1) throw new PapError('NOT_PAP', `<pap> holds ${body.length} elements, not one`);
  const el = body[0]!;

  if (el.name === 'push-response') {
    const pushId = el.attrs.get('push-id');
    if (pushId === undefined) throw new PapError('MISSING_FIELD', 'push-response has no push-id');
    const results = el.children.filter((c) => c.name === 'response-result');
    if (results.length !== 1)
      throw new PapError('MISSING_FIELD', `push-response holds ${results.length} response-result elements, not one`);
    const result = results[0]!;
    const replyTime = timestamp(el.attrs.get('reply-time'));
    return {
      kind: 'push-response',
      pushId,
      code: code(result, 'response-result'),
      ...opt('description', result.attrs.get('desc')),
      ...opt('senderAddress', el.attrs.get('sender-address')),
      ...opt('senderName', el.attrs.get('sender-name')),
      ...(replyTime ? { replyTime } : {}),
    };
  }
  if (el.name === 'badmessage-response') {
    return {
      kind: 'badmessage-response',
      code: code(el, 'badmessage-response'),
      ...opt('description', el.attrs.get('desc')),
      ...opt('badMessageFragment', el.attrs.get('bad-message-fragment')),
    };
  }
  throw new PapError('UNEXPECTED_RESPONSE', `<pap> holds <${el.name.slice(0, 40)}>, not push-response or badmessage-response`);
}
