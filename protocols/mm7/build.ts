/**
 * Typed MM7 message -> SOAP 1.1 envelope text (TS 23.140 §8.7). Exact in what it sends: one fixed shape,
 * the TransactionID in the Header as `mm7:TransactionID` with env:mustUnderstand="1" (§8.7.1), the operation
 * element in the message's namespace as default namespace, children in the schema's sequence order.
 * The namespace and MM7Version are the message's own (a server copies them from the request it answers).
 */
import { Mm7Error } from './errors.js';
import type {
  Mm7Address,
  Mm7Application,
  Mm7Content,
  Mm7DateValue,
  Mm7Fault,
  Mm7Message,
  Mm7Recipients,
  Mm7SenderIdentification,
  Mm7Status,
} from './model.js';
import { statusText } from './status.js';
import { DEFAULT_MM7_NAMESPACE, schemaForNamespace, SOAP_ENV_NS } from './versions.js';

// XML 1.0 Char production minus what we escape; anything else cannot be sent at all.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapeText(s: string): string {
  if (NOT_XML_CHAR.test(s)) throw new Mm7Error('BUILD_INVALID', 'a value contains a character XML 1.0 cannot carry');
  // \r is escaped so that it survives end-of-line normalisation at the receiver.
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/** Collects child elements in order; undefined values are skipped (optional schema elements). */
class Children {
  private out = '';
  el(name: string, value: string | undefined): this {
    if (value !== undefined) this.out += `<${name}>${escapeText(value)}</${name}>`;
    return this;
  }
  bool(name: string, value: boolean | undefined): this {
    return this.el(name, value === undefined ? undefined : String(value));
  }
  date(name: string, value: Mm7DateValue | undefined): this {
    return this.el(name, value?.text);
  }
  raw(xml: string | undefined): this {
    if (xml !== undefined) this.out += xml;
    return this;
  }
  toString(): string {
    return this.out;
  }
}

function attrs(pairs: [string, string | number | boolean | undefined][]): string {
  let s = '';
  for (const [k, v] of pairs) if (v !== undefined) s += ` ${k}="${escapeAttr(String(v))}"`;
  return s;
}

const ADDRESS_ELEMENT = { number: 'Number', shortCode: 'ShortCode', email: 'RFC2822Address' } as const;

function address(a: Mm7Address): string {
  const name = ADDRESS_ELEMENT[a.kind];
  if (name === undefined) throw new Mm7Error('BUILD_INVALID', 'unknown address kind');
  const at = attrs([
    ['displayOnly', a.displayOnly],
    ['addressCoding', a.addressCoding],
    ['id', a.id],
  ]);
  return `<${name}${at}>${escapeText(a.value)}</${name}>`;
}

function wrapAddress(name: string, a: Mm7Address | undefined): string | undefined {
  return a === undefined ? undefined : `<${name}>${address(a)}</${name}>`;
}

function recipients(r: Mm7Recipients): string {
  const group = (name: string, list: Mm7Address[]) => (list.length === 0 ? '' : `<${name}>${list.map(address).join('')}</${name}>`);
  return `<Recipients>${group('To', r.to)}${group('Cc', r.cc)}${group('Bcc', r.bcc)}</Recipients>`;
}

function senderIdentification(s: Mm7SenderIdentification): string {
  const c = new Children().el('VASPID', s.vaspId).el('VASID', s.vasId).raw(wrapAddress('SenderAddress', s.senderAddress));
  return `<SenderIdentification>${c}</SenderIdentification>`;
}

function content(c: Mm7Content | undefined): string | undefined {
  if (c === undefined) return undefined;
  return `<Content${attrs([
    ['href', c.href],
    ['allowAdaptations', c.allowAdaptations],
  ])}/>`;
}

function application(c: Children, a: Mm7Application): Children {
  return c.el('ApplicID', a.applicId).el('ReplyApplicID', a.replyApplicId).el('AuxApplicInfo', a.auxApplicInfo);
}

function status(s: Mm7Status): string {
  const c = new Children().el('StatusCode', String(s.code)).el('StatusText', s.text).el('Details', s.details);
  return `<Status>${c}</Status>`;
}

/** The Body's content element for every kind but Fault. Sequence orders follow REL-6-MM7-1-4. */
function body(msg: Exclude<Mm7Message, Mm7Fault>): string {
  if (msg.mm7Version.trim() === '') throw new Mm7Error('BUILD_INVALID', 'MM7Version is empty');
  const c = new Children().el('MM7Version', msg.mm7Version);
  switch (msg.kind) {
    case 'SubmitReq': {
      c.raw(senderIdentification(msg)).raw(recipients(msg.recipients));
      c.el('ServiceCode', msg.serviceCode).el('LinkedID', msg.linkedId).el('MessageClass', msg.messageClass);
      c.date('TimeStamp', msg.timeStamp);
      if (msg.replyCharging !== undefined) {
        c.raw(
          `<ReplyCharging${attrs([
            ['replyChargingSize', msg.replyCharging.replyChargingSize],
            ['replyDeadline', msg.replyCharging.replyDeadline?.text],
          ])}/>`,
        );
      }
      c.date('EarliestDeliveryTime', msg.earliestDeliveryTime).date('ExpiryDate', msg.expiryDate);
      c.bool('DeliveryReport', msg.deliveryReport).bool('ReadReply', msg.readReply);
      c.el('Priority', msg.priority).el('Subject', msg.subject);
      c.el('ChargedParty', msg.chargedParty).el('ChargedPartyID', msg.chargedPartyId);
      c.bool('DistributionIndicator', msg.distributionIndicator);
      application(c, msg);
      c.el('ContentClass', msg.contentClass).bool('DRMContent', msg.drmContent).raw(content(msg.content));
      break;
    }
    case 'CancelReq':
      c.raw(senderIdentification(msg)).el('MessageID', msg.messageId);
      break;
    case 'ReplaceReq':
      c.raw(senderIdentification(msg)).el('MessageID', msg.messageId).el('ServiceCode', msg.serviceCode);
      c.date('TimeStamp', msg.timeStamp).bool('ReadReply', msg.readReply);
      c.date('EarliestDeliveryTime', msg.earliestDeliveryTime).bool('DistributionIndicator', msg.distributionIndicator);
      c.el('ContentClass', msg.contentClass).bool('DRMContent', msg.drmContent).raw(content(msg.content));
      break;
    case 'DeliverReq':
      c.el('MMSRelayServerID', msg.mmsRelayServerId).el('VASPID', msg.vaspId).el('VASID', msg.vasId);
      c.el('LinkedID', msg.linkedId).raw(wrapAddress('Sender', msg.sender));
      c.raw(msg.recipients === undefined ? undefined : recipients(msg.recipients));
      c.date('TimeStamp', msg.timeStamp).el('ReplyChargingID', msg.replyChargingId);
      c.el('Priority', msg.priority).el('Subject', msg.subject);
      application(c, msg).raw(content(msg.content));
      break;
    case 'DeliveryReportReq':
    case 'ReadReplyReq':
      c.el('MMSRelayServerID', msg.mmsRelayServerId).el('MessageID', msg.messageId);
      c.raw(wrapAddress('Recipient', msg.recipient)).raw(wrapAddress('Sender', msg.sender));
      c.date(msg.kind === 'DeliveryReportReq' ? 'Date' : 'TimeStamp', msg.timeStamp);
      c.el('MMStatus', msg.mmStatus).el('StatusText', msg.statusText);
      application(c, msg);
      break;
    case 'SubmitRsp':
      c.raw(status(msg.status)).el('MessageID', msg.messageId);
      break;
    case 'DeliverRsp':
      c.raw(status(msg.status)).el('ServiceCode', msg.serviceCode);
      break;
    case 'CancelRsp':
    case 'ReplaceRsp':
    case 'DeliveryReportRsp':
    case 'ReadReplyRsp':
    case 'RSErrorRsp':
    case 'VASPErrorRsp':
      c.raw(status(msg.status));
      break;
  }
  return `<${msg.kind} xmlns="${escapeAttr(msg.namespace)}">${c}</${msg.kind}>`;
}

function fault(msg: Mm7Fault): string {
  let detail = '';
  if (msg.detail !== undefined) {
    if (msg.namespace === '') throw new Mm7Error('BUILD_INVALID', 'a Fault detail needs the MM7 namespace');
    const inner = new Children().el('MM7Version', msg.detail.mm7Version).raw(status(msg.detail.status));
    detail = `<detail><${msg.detail.kind} xmlns="${escapeAttr(msg.namespace)}">${inner}</${msg.detail.kind}></detail>`;
  }
  // SOAP 1.1 §4.4: faultcode/faultstring/detail are unqualified; faultcode is a QName in the env namespace.
  const code = msg.faultCode.includes(':') ? msg.faultCode : `env:${msg.faultCode}`;
  return `<env:Fault><faultcode>${escapeText(code)}</faultcode><faultstring>${escapeText(msg.faultString)}</faultstring>${detail}</env:Fault>`;
}

/** Serialises one message as a complete SOAP 1.1 envelope (UTF-8 declared; encode the string as UTF-8). */
export function buildMm7(msg: Mm7Message): string {
  // No TransactionID (an answer to a request whose header could not be read): no Header at all, rather than
  // an invented or empty TransactionID.
  let header = '';
  const tid = msg.transactionId;
  if (tid !== '') {
    const ns = msg.namespace;
    if (ns === '') throw new Mm7Error('BUILD_INVALID', 'the TransactionID needs the MM7 namespace');
    header =
      `<env:Header><mm7:TransactionID xmlns:mm7="${escapeAttr(ns)}" env:mustUnderstand="1">` +
      `${escapeText(tid)}</mm7:TransactionID></env:Header>`;
  }
  const inner = msg.kind === 'Fault' ? fault(msg) : body(msg);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<env:Envelope xmlns:env="${SOAP_ENV_NS}">${header}<env:Body>${inner}</env:Body></env:Envelope>`
  );
}

/**
 * The Fault a server answers a refused request with (§8.7: a SOAP Fault whose detail is an RSErrorRsp, or a
 * VASPErrorRsp when the VASP answers): in the request's namespace, MM7Version and TransactionID when the
 * parser could read them, else in `fallback` (default: the newest schema). faultcode is Server for 3xxx
 * statuses and Client otherwise (SOAP 1.1 §4.4.1: Client = the message was wrong).
 */
export function errorFault(
  err: Mm7Error,
  options: { responder?: 'RSErrorRsp' | 'VASPErrorRsp'; fallbackNamespace?: string } = {},
): Mm7Fault {
  const namespace = err.namespace ?? options.fallbackNamespace ?? DEFAULT_MM7_NAMESPACE;
  const mm7Version = err.mm7Version ?? schemaForNamespace(namespace)?.mm7Version ?? '6.8.0';
  const server = err.status >= 3000 && err.status < 4000;
  return {
    kind: 'Fault',
    transactionId: err.transactionId ?? '',
    namespace,
    mm7Version,
    faultCode: server ? 'Server' : 'Client',
    faultString: server ? 'Server error' : 'Client error',
    detail: {
      kind: options.responder ?? 'RSErrorRsp',
      mm7Version,
      status: { code: err.status, text: statusText(err.status), details: err.detail },
    },
  };
}
