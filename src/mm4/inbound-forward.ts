import type { MmsAddress } from '../../protocols/address/index.js';
import { type Mm4Address, type Mm4Content, type Mm4ForwardReq, type Mm4Part, parseMm4Address } from '../../protocols/mm4/index.js';
import type { Submission } from '../core/intake.js';
import type { ContentStage } from '../core/ports.js';
import type { ContentRef, MessageClass, Party, Priority, Recipient } from '../core/message.js';
import { buildMessage, type Lifetime } from '../core/message-builder.js';
import { partyOf } from '../core/party.js';
import { Refusal } from '../core/refusals.js';
import { sanitiseMessage } from '../core/sanitise.js';

export interface ForwardContext {
  /** The peer carrier the forward came from (Origin.peer). */
  peer: string;
  /** RCPT TO of the SMTP transaction: every one is in one of our domains (checked at RCPT). */
  rcptTo: readonly string[];
  lifetime: Lifetime;
}

/**
 * MM4_forward.REQ (3GPP TS 23.140 §8.4.1.1) -> the core message and its parts. The recipients are the SMTP
 * envelope's (RFC 5321 §2.3.1: the envelope, not the header fields, says whom this server delivers to; the
 * To/Cc of an MM sent to several networks also name other carriers' subscribers, §8.4.1 leaves those to
 * their own relays); a recipient that is also in Cc keeps that kind. Throws a Refusal.
 * `stage`: where the parts streamed out of the parser went (their bodies are empty, their sizes in
 * streamedBytes); it is the content when any part was streamed, else the parts' bodies are.
 */
export function forwardSubmission(
  req: Mm4ForwardReq,
  ctx: ForwardContext,
  messageId: string,
  now: number,
  stage?: ContentStage,
): Submission {
  const cc = new Set(req.cc.map((a) => key(a.address)));
  const recipients: Recipient[] = ctx.rcptTo.map((rcpt) => {
    const a = readAddress(rcpt, 'RCPT TO');
    return { ...party(a.address, 'recipient'), kind: cc.has(key(a.address)) ? 'cc' : 'to' };
  });
  if (recipients.length === 0) throw new Refusal('address-error', 'no recipient');
  const originator = originatorParty(req.from.address);

  const leaves: Mm4Part[] = [];
  flatten(req.content, leaves);
  const parts: ContentRef[] = leaves.map((p, index) => {
    const ref: ContentRef = { index, contentType: p.contentType.type, size: p.streamedBytes ?? p.body.length };
    if (Object.keys(p.contentType.params).length > 0) ref.params = { ...p.contentType.params };
    if (p.contentId !== undefined) ref.contentId = p.contentId;
    if (p.contentLocation !== undefined) ref.contentLocation = p.contentLocation;
    return ref;
  });
  const multipart = 'parts' in req.content;
  // A multipart's boundary belongs to its encoding here, not to the message: each edge writes its own.
  const { boundary: _boundary, ...rootParams } = req.content.contentType.params;

  const expiresAt =
    req.expiry === undefined ? undefined : req.expiry.kind === 'absolute' ? req.expiry.epochMs : now + req.expiry.seconds * 1000;
  if (expiresAt !== undefined && expiresAt <= now) throw new Refusal('expired', 'X-Mms-Expiry is in the past');
  const message = buildMessage({
    id: messageId,
    now,
    originator,
    recipients,
    // The peer's X-Mms-Message-ID as written: our reports on this MM name it so (§8.4.2.1, §8.4.3.1).
    origin: { iface: 'mm4', peer: ctx.peer, messageRef: req.messageId },
    contentType: multipart ? req.content.contentType.type : parts[0]?.contentType,
    contentTypeParams: multipart && Object.keys(rootParams).length > 0 ? rootParams : undefined,
    parts,
    subject: req.subject,
    expiresAt,
    lifetime: ctx.lifetime,
    deliveryReport: req.deliveryReport,
    readReport: req.readReply,
    priority: req.priority === undefined ? undefined : (req.priority.toLowerCase() as Priority),
    messageClass: req.messageClass === undefined ? undefined : (req.messageClass.toLowerCase() as MessageClass),
  });
  const streamed = leaves.some((p) => p.streamedBytes !== undefined);
  if (streamed && !stage) throw new Error('forwardSubmission: parts were streamed but no stage was given');
  const content = streamed && stage ? stage : leaves.map((p) => p.body);
  return { message, content, sanitised: sanitiseMessage(message) };
}

function readAddress(text: string, field: string): Mm4Address {
  try {
    return parseMm4Address(text, field);
  } catch {
    throw new Refusal('address-error', `${field} is not an MMS address`);
  }
}

/** An MM4 address -> the message model's party (numbers in +E.164). */
function party(a: MmsAddress, what: string): Party {
  try {
    if (a.kind === 'plmn') return partyOf('number', a.number);
    if (a.kind === 'shortcode') return partyOf('shortCode', a.code);
    if (a.kind === 'email') return partyOf('email', a.address);
  } catch (err) {
    throw new Refusal('address-error', `${what}: ${(err as Error).message}`);
  }
  throw new Refusal('address-error', `${what}: an address of type ${a.kind} is not taken over MM4`);
}

/**
 * The originator, read liberally: a "+" number too short for E.164 (`+12345/TYPE=PLMN`, as some VASP-facing
 * MMSCs write a short-code sender) is the sending network's short code, not a reason to bounce a whole
 * message a peer already accepted from its own client. Recipients stay strict: they are ours to deliver.
 */
function originatorParty(a: MmsAddress): Party {
  if (a.kind === 'plmn') {
    // 3 to 6 digits: a short code (3GPP short codes), and fewer than any E.164 number has (7).
    const digits = a.number.replace(/^\+/, '');
    if (/^\d{3,6}$/.test(digits)) return { address: digits, type: 'shortcode' };
  }
  return party(a, 'originator');
}

/** Compares addresses whatever their domain and display name. */
function key(a: MmsAddress): string {
  switch (a.kind) {
    case 'plmn':
      return `plmn:${a.number.replace(/^\+/, '')}`;
    case 'shortcode':
      return `sc:${a.code}`;
    case 'email':
      return `email:${a.address.toLowerCase()}`;
    case 'other':
      return `other:${a.type}:${a.value}`;
    default:
      return `${a.kind}:${a.address}`;
  }
}

/** The leaves of the MIME tree, in order (a nested multipart/alternative keeps all its forms, as MM1 does). */
function flatten(c: Mm4Content, out: Mm4Part[]): void {
  if ('parts' in c) for (const p of c.parts) flatten(p, out);
  else out.push(c);
}
