/**
 * SOAP XML -> typed MM7 message (TS 23.140 §8.7). Liberal in what it accepts, because interop is where MMSCs
 * fail: any namespace prefix or none, the operation without a namespace when the TransactionID has one
 * (Sinch submit-04), element names in any case (`<number>`, mmsgw), empty optional elements (`<MessageClass/>`)
 * read as absent, unknown elements ignored, prefixed attributes (`mm7:href`, xmmc) read by local name.
 */
import { Mm7Error } from './errors.js';
import type { Mm7ErrorContext } from './errors.js';
import type {
  CancelReq,
  DeliverReq,
  DeliveryReportReq,
  Mm7Address,
  Mm7AddressKind,
  Mm7Application,
  Mm7Common,
  Mm7Content,
  Mm7Fault,
  Mm7FaultDetail,
  Mm7Kind,
  Mm7Message,
  Mm7Recipients,
  Mm7ReplyCharging,
  Mm7SenderIdentification,
  Mm7Status,
  ReadReplyReq,
  ReplaceReq,
  SubmitReq,
} from './model.js';
import {
  ADDRESS_CODINGS,
  CHARGED_PARTIES,
  DELIVERY_STATUSES,
  MESSAGE_CLASSES,
  PRIORITIES,
  READ_STATUSES,
  normaliseToken,
  parseAbsoluteDate,
  parseBoolean,
  parseDateValue,
  parseEnum,
  parseUnsigned,
} from './values.js';
import { isMm7Namespace, isSupportedVersion, schemaForVersion, SOAP12_ENV_NS, SOAP_ENV_NS } from './versions.js';
import { DEFAULT_LIMITS, deepText, parseXml, toText } from './xml.js';
import type { Mm7Limits, XmlElement } from './xml.js';

const OPERATIONS: readonly Exclude<Mm7Kind, 'Fault'>[] = [
  'SubmitReq',
  'SubmitRsp',
  'CancelReq',
  'CancelRsp',
  'ReplaceReq',
  'ReplaceRsp',
  'DeliverReq',
  'DeliverRsp',
  'DeliveryReportReq',
  'DeliveryReportRsp',
  'ReadReplyReq',
  'ReadReplyRsp',
  'RSErrorRsp',
  'VASPErrorRsp',
];
const OPERATION_BY_LOWER = new Map(OPERATIONS.map((k) => [k.toLowerCase(), k]));

// AddressType's choice (Number | ShortCode | RFC2822Address).
const ADDRESS_ELEMENTS: ReadonlyMap<string, Mm7AddressKind> = new Map([
  ['number', 'number'],
  ['shortcode', 'shortCode'],
  ['rfc2822address', 'email'],
]);

// ---- element access: by local name, case-insensitively, in any namespace ----

function child(e: XmlElement, name: string): XmlElement | undefined {
  const want = name.toLowerCase();
  return e.children.find((c) => c.lower === want);
}

function attr(e: XmlElement, name: string): string | undefined {
  const want = name.toLowerCase();
  return e.attrs.find((a) => a.lower === want)?.value;
}

/** Trimmed text of an optional simple element; empty counts as absent. */
function text(e: XmlElement, name: string): string | undefined {
  const c = child(e, name);
  if (c === undefined) return undefined;
  const t = c.text.trim();
  return t === '' ? undefined : t;
}

function required(e: XmlElement, name: string): string {
  const t = text(e, name);
  if (t === undefined) throw new Mm7Error('MISSING_ELEMENT', `${e.local}/${name} is missing or empty`);
  return t;
}

function requiredChild(e: XmlElement, name: string): XmlElement {
  const c = child(e, name);
  if (c === undefined) throw new Mm7Error('MISSING_ELEMENT', `${e.local}/${name} is missing`);
  return c;
}

/** Assigns only defined values, so absent elements leave no `undefined` keys behind. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function optBoolean(e: XmlElement, name: string): boolean | undefined {
  const t = text(e, name);
  return t === undefined ? undefined : parseBoolean(name, t);
}

// ---- shared structures ----

function addressFrom(el: XmlElement, kind: Mm7AddressKind): Mm7Address {
  const value = el.text.trim();
  if (value === '') throw new Mm7Error('BAD_VALUE', `${el.local} address is empty`);
  const a: Mm7Address = { kind, value };
  const displayOnly = attr(el, 'displayOnly');
  if (displayOnly !== undefined) a.displayOnly = parseBoolean('displayOnly', displayOnly);
  const coding = attr(el, 'addressCoding');
  if (coding !== undefined) a.addressCoding = parseEnum('addressCoding', coding, ADDRESS_CODINGS);
  const id = attr(el, 'id');
  if (id !== undefined) a.id = id;
  return a;
}

function addressesIn(container: XmlElement): Mm7Address[] {
  const out: Mm7Address[] = [];
  for (const c of container.children) {
    const kind = ADDRESS_ELEMENTS.get(c.lower);
    if (kind !== undefined) out.push(addressFrom(c, kind));
  }
  return out;
}

/**
 * A single-address element (Sender, Recipient, SenderAddress). Some Rel-5 era VASPs put the address as bare
 * text (`<SenderAddress>18910229166</SenderAddress>`): read as an e-mail address when it has '@', else a number.
 */
function singleAddress(el: XmlElement): Mm7Address | undefined {
  const list = addressesIn(el);
  if (list.length > 0) return list[0];
  const bare = el.text.trim();
  if (bare === '') return undefined;
  return { kind: bare.includes('@') ? 'email' : 'number', value: bare };
}

function optAddress(e: XmlElement, name: string): Mm7Address | undefined {
  const c = child(e, name);
  return c === undefined ? undefined : singleAddress(c);
}

function requiredAddress(e: XmlElement, name: string): Mm7Address {
  const a = optAddress(e, name);
  if (a === undefined) throw new Mm7Error('MISSING_ELEMENT', `${e.local}/${name} has no address`);
  return a;
}

function recipientsOf(el: XmlElement): Mm7Recipients {
  const r: Mm7Recipients = { to: [], cc: [], bcc: [] };
  for (const c of el.children) {
    const l = c.lower;
    if (l === 'to') r.to.push(...addressesIn(c));
    else if (l === 'cc') r.cc.push(...addressesIn(c));
    else if (l === 'bcc') r.bcc.push(...addressesIn(c));
  }
  return r;
}

function countOf(r: Mm7Recipients): number {
  return r.to.length + r.cc.length + r.bcc.length;
}

function contentOf(e: XmlElement): Mm7Content | undefined {
  const c = child(e, 'Content');
  if (c === undefined) return undefined;
  const href = attr(c, 'href');
  if (href === undefined || href.trim() === '') throw new Mm7Error('MISSING_ELEMENT', 'Content/@href is missing');
  const content: Mm7Content = { href };
  const adapt = attr(c, 'allowAdaptations');
  if (adapt !== undefined) content.allowAdaptations = parseBoolean('allowAdaptations', adapt);
  return content;
}

function senderIdentificationOf(op: XmlElement, into: Mm7SenderIdentification): void {
  const si = child(op, 'SenderIdentification');
  // Rel-5 Ericsson-style VASPs put VASPID/VASID directly in the operation: accept both places.
  const from = si ?? op;
  put(into, 'vaspId', text(from, 'VASPID'));
  put(into, 'vasId', text(from, 'VASID'));
  if (si !== undefined) put(into, 'senderAddress', optAddress(si, 'SenderAddress'));
}

function applicationOf(op: XmlElement, into: Mm7Application): void {
  put(into, 'applicId', text(op, 'ApplicID'));
  put(into, 'replyApplicId', text(op, 'ReplyApplicID'));
  put(into, 'auxApplicInfo', text(op, 'AuxApplicInfo'));
}

function statusOf(op: XmlElement): Mm7Status {
  const st = requiredChild(op, 'Status');
  const status: Mm7Status = { code: parseUnsigned('StatusCode', required(st, 'StatusCode')) };
  put(status, 'text', text(st, 'StatusText'));
  const details = child(st, 'Details');
  if (details !== undefined) {
    const d = deepText(details).trim();
    if (d !== '') status.details = d;
  }
  return status;
}

function optAbsolute(e: XmlElement, name: string) {
  const t = text(e, name);
  return t === undefined ? undefined : parseAbsoluteDate(name, t);
}

function optDateValue(e: XmlElement, name: string) {
  const t = text(e, name);
  return t === undefined ? undefined : parseDateValue(name, t);
}

// ---- operations ----

function submitReq(op: XmlElement, common: Mm7Common): SubmitReq {
  const recipientsEl = requiredChild(op, 'Recipients');
  const recipients = recipientsOf(recipientsEl);
  if (countOf(recipients) === 0) throw new Mm7Error('MISSING_ELEMENT', 'SubmitReq/Recipients has no address');
  const m: SubmitReq = { kind: 'SubmitReq', ...common, recipients };
  senderIdentificationOf(op, m);
  put(m, 'serviceCode', text(op, 'ServiceCode'));
  put(m, 'linkedId', text(op, 'LinkedID'));
  const mc = text(op, 'MessageClass');
  if (mc !== undefined) m.messageClass = parseEnum('MessageClass', mc, MESSAGE_CLASSES);
  put(m, 'timeStamp', optAbsolute(op, 'TimeStamp'));
  const rc = child(op, 'ReplyCharging');
  if (rc !== undefined) {
    const replyCharging: Mm7ReplyCharging = {};
    const size = attr(rc, 'replyChargingSize');
    if (size !== undefined) replyCharging.replyChargingSize = parseUnsigned('replyChargingSize', size);
    const deadline = attr(rc, 'replyDeadline');
    if (deadline !== undefined) replyCharging.replyDeadline = parseDateValue('replyDeadline', deadline);
    m.replyCharging = replyCharging;
  }
  put(m, 'earliestDeliveryTime', optDateValue(op, 'EarliestDeliveryTime'));
  put(m, 'expiryDate', optDateValue(op, 'ExpiryDate'));
  put(m, 'deliveryReport', optBoolean(op, 'DeliveryReport'));
  put(m, 'readReply', optBoolean(op, 'ReadReply'));
  const pr = text(op, 'Priority');
  if (pr !== undefined) m.priority = parseEnum('Priority', pr, PRIORITIES);
  put(m, 'subject', text(op, 'Subject'));
  const cp = text(op, 'ChargedParty');
  if (cp !== undefined) m.chargedParty = parseEnum('ChargedParty', cp, CHARGED_PARTIES);
  put(m, 'chargedPartyId', text(op, 'ChargedPartyID'));
  put(m, 'distributionIndicator', optBoolean(op, 'DistributionIndicator'));
  applicationOf(op, m);
  put(m, 'contentClass', text(op, 'ContentClass'));
  put(m, 'drmContent', optBoolean(op, 'DRMContent'));
  put(m, 'content', contentOf(op));
  return m;
}

function cancelReq(op: XmlElement, common: Mm7Common): CancelReq {
  const m: CancelReq = { kind: 'CancelReq', ...common, messageId: required(op, 'MessageID') };
  senderIdentificationOf(op, m);
  return m;
}

function replaceReq(op: XmlElement, common: Mm7Common): ReplaceReq {
  const m: ReplaceReq = { kind: 'ReplaceReq', ...common, messageId: required(op, 'MessageID') };
  senderIdentificationOf(op, m);
  put(m, 'serviceCode', text(op, 'ServiceCode'));
  put(m, 'timeStamp', optAbsolute(op, 'TimeStamp'));
  put(m, 'readReply', optBoolean(op, 'ReadReply'));
  put(m, 'earliestDeliveryTime', optDateValue(op, 'EarliestDeliveryTime'));
  put(m, 'distributionIndicator', optBoolean(op, 'DistributionIndicator'));
  put(m, 'contentClass', text(op, 'ContentClass'));
  put(m, 'drmContent', optBoolean(op, 'DRMContent'));
  put(m, 'content', contentOf(op));
  return m;
}

function deliverReq(op: XmlElement, common: Mm7Common): DeliverReq {
  const m: DeliverReq = { kind: 'DeliverReq', ...common };
  put(m, 'mmsRelayServerId', text(op, 'MMSRelayServerID'));
  put(m, 'vaspId', text(op, 'VASPID'));
  put(m, 'vasId', text(op, 'VASID'));
  put(m, 'linkedId', text(op, 'LinkedID'));
  put(m, 'sender', optAddress(op, 'Sender'));
  const r = child(op, 'Recipients');
  if (r !== undefined) m.recipients = recipientsOf(r);
  put(m, 'timeStamp', optAbsolute(op, 'TimeStamp'));
  put(m, 'replyChargingId', text(op, 'ReplyChargingID'));
  const pr = text(op, 'Priority');
  if (pr !== undefined) m.priority = parseEnum('Priority', pr, PRIORITIES);
  put(m, 'subject', text(op, 'Subject'));
  applicationOf(op, m);
  put(m, 'content', contentOf(op));
  return m;
}

function deliveryReportReq(op: XmlElement, common: Mm7Common): DeliveryReportReq {
  const m: DeliveryReportReq = {
    kind: 'DeliveryReportReq',
    ...common,
    messageId: required(op, 'MessageID'),
    recipient: requiredAddress(op, 'Recipient'),
    sender: requiredAddress(op, 'Sender'),
    timeStamp: parseAbsoluteDate('Date', required(op, 'Date')),
    mmStatus: normaliseToken(required(op, 'MMStatus'), DELIVERY_STATUSES),
  };
  put(m, 'mmsRelayServerId', text(op, 'MMSRelayServerID'));
  put(m, 'statusText', text(op, 'StatusText'));
  applicationOf(op, m);
  return m;
}

function readReplyReq(op: XmlElement, common: Mm7Common): ReadReplyReq {
  const m: ReadReplyReq = {
    kind: 'ReadReplyReq',
    ...common,
    messageId: required(op, 'MessageID'),
    recipient: requiredAddress(op, 'Recipient'),
    sender: requiredAddress(op, 'Sender'),
    timeStamp: parseAbsoluteDate('TimeStamp', required(op, 'TimeStamp')),
    mmStatus: normaliseToken(required(op, 'MMStatus'), READ_STATUSES),
  };
  put(m, 'mmsRelayServerId', text(op, 'MMSRelayServerID'));
  put(m, 'statusText', text(op, 'StatusText'));
  applicationOf(op, m);
  return m;
}

function operation(kind: Exclude<Mm7Kind, 'Fault'>, op: XmlElement, common: Mm7Common): Mm7Message {
  switch (kind) {
    case 'SubmitReq':
      return submitReq(op, common);
    case 'CancelReq':
      return cancelReq(op, common);
    case 'ReplaceReq':
      return replaceReq(op, common);
    case 'DeliverReq':
      return deliverReq(op, common);
    case 'DeliveryReportReq':
      return deliveryReportReq(op, common);
    case 'ReadReplyReq':
      return readReplyReq(op, common);
    case 'SubmitRsp': {
      const m = { kind, ...common, status: statusOf(op) } as const;
      const messageId = text(op, 'MessageID');
      return messageId === undefined ? m : { ...m, messageId };
    }
    case 'DeliverRsp': {
      const m = { kind, ...common, status: statusOf(op) } as const;
      const serviceCode = text(op, 'ServiceCode');
      return serviceCode === undefined ? m : { ...m, serviceCode };
    }
    case 'CancelRsp':
    case 'ReplaceRsp':
    case 'DeliveryReportRsp':
    case 'ReadReplyRsp':
    case 'RSErrorRsp':
    case 'VASPErrorRsp':
      return { kind, ...common, status: statusOf(op) };
  }
}

function faultOf(fault: XmlElement, ctx: Mm7ErrorContext): Mm7Fault {
  const code = required(fault, 'faultcode');
  const m: Mm7Fault = {
    kind: 'Fault',
    transactionId: ctx.transactionId ?? '',
    namespace: ctx.namespace ?? '',
    mm7Version: '',
    faultCode: code.slice(code.lastIndexOf(':') + 1),
    faultString: text(fault, 'faultstring') ?? '',
  };
  const detail = child(fault, 'detail');
  const err = detail?.children.find((c) => /^(RSErrorRsp|VASPErrorRsp)$/i.test(c.local));
  if (err !== undefined) {
    const d: Mm7FaultDetail = {
      kind: err.lower === 'rserrorrsp' ? 'RSErrorRsp' : 'VASPErrorRsp',
      mm7Version: text(err, 'MM7Version') ?? '',
      status: statusOf(err),
    };
    m.detail = d;
    m.mm7Version = d.mm7Version;
    if (isMm7Namespace(err.ns)) m.namespace = err.ns;
  }
  return m;
}

function isEnvelopeNs(ns: string): boolean {
  return ns === SOAP_ENV_NS || ns === SOAP12_ENV_NS;
}

/**
 * Parses one MM7 SOAP envelope (the text/xml root part of the MM7 multipart, or a whole text/xml body).
 * Throws Mm7Error; its `status` is the MM7 StatusCode to answer with, and `transactionId`/`namespace`/
 * `mm7Version` carry whatever was read before the failure.
 */
export function parseMm7(xml: string | Buffer, limits: Mm7Limits = {}): Mm7Message {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const ctx: Mm7ErrorContext = {};
  try {
    const root = parseXml(toText(xml, lim.maxBytes), lim);
    if (root.local !== 'Envelope' || !isEnvelopeNs(root.ns)) {
      throw new Mm7Error('NOT_SOAP', 'the root element is not a SOAP Envelope');
    }
    const header = root.children.find((c) => c.local === 'Header' && isEnvelopeNs(c.ns));
    const body = root.children.find((c) => c.local === 'Body' && isEnvelopeNs(c.ns));
    if (body === undefined) throw new Mm7Error('NOT_SOAP', 'the Envelope has no Body');
    const tid = header === undefined ? undefined : child(header, 'TransactionID');
    const tidText = tid?.text.trim();
    if (tidText) ctx.transactionId = tidText;
    const op = body.children[0];
    if (op === undefined) throw new Mm7Error('NOT_SOAP', 'the Body is empty');
    ctx.operation = op.local;
    // The operation's namespace wins; else the TransactionID's (Sinch submit-04 has only the latter).
    const nsCandidates = [op.ns, tid?.ns ?? ''].filter((ns) => ns !== '');
    const mm7Ns = nsCandidates.find(isMm7Namespace);
    if (mm7Ns !== undefined) ctx.namespace = mm7Ns;

    if (op.lower === 'fault') return faultOf(op, ctx);
    const kind = OPERATION_BY_LOWER.get(op.lower);
    if (kind === undefined) throw new Mm7Error('UNKNOWN_OPERATION', `${op.local.slice(0, 64)} is not an MM7 operation`);
    if (nsCandidates.length > 0 && !isMm7Namespace(nsCandidates[0])) {
      throw new Mm7Error('UNSUPPORTED_VERSION', `${kind} is not in an MM7 REL-5/REL-6 schema namespace`);
    }
    if (ctx.transactionId === undefined) throw new Mm7Error('MISSING_ELEMENT', 'Header/TransactionID is missing or empty');
    const mm7Version = required(op, 'MM7Version');
    ctx.mm7Version = mm7Version;
    if (!isSupportedVersion(mm7Version)) throw new Mm7Error('UNSUPPORTED_VERSION', 'MM7Version is not 5.x.y or 6.x.y');
    // No namespace anywhere: answer in the schema that goes with the version.
    const namespace = mm7Ns ?? schemaForVersion(mm7Version)?.namespace;
    if (namespace === undefined) throw new Mm7Error('UNSUPPORTED_VERSION', 'no MM7 namespace');
    ctx.namespace = namespace;
    return operation(kind, op, { transactionId: ctx.transactionId, namespace, mm7Version });
  } catch (e) {
    if (e instanceof Mm7Error) throw new Mm7Error(e.code, e.detail, { ...ctx, ...contextOf(e) });
    throw e;
  }
}

function contextOf(e: Mm7Error): Mm7ErrorContext {
  const c: Mm7ErrorContext = {};
  put(c, 'transactionId', e.transactionId);
  put(c, 'namespace', e.namespace);
  put(c, 'mm7Version', e.mm7Version);
  put(c, 'operation', e.operation);
  return c;
}
