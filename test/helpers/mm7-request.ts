// An MM7 SubmitReq as a VASP sends it: SOAP with attachments (multipart/related, the SOAP part first unless
// contentFirst, the content as a multipart/related of its own referenced by href="cid:content").
export const MM7_NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

export interface Mm7Part {
  type: string;
  name: string;
  body: Buffer;
}

export interface SubmitOptions {
  vasp: string;
  shortCode: string;
  to: string[];
  subject?: string;
  deliveryReport?: boolean;
  readReply?: boolean;
  /** xs:dateTime or duration (e.g. PT3S). */
  expiry?: string;
  parts: Mm7Part[];
  /** The content part before the SOAP part (`start` still names the SOAP part, RFC 2387 §3.2). */
  contentFirst?: boolean;
  /** How the recipients are written: <Number> (default) or <ShortCode> (another VASP's). */
  toKind?: 'Number' | 'ShortCode';
  /** The SOAP header's TransactionID (default t-1): a VASP's retry of a request repeats it. */
  transactionId?: string;
  /** <MessageClass> (Advertisement: marketing, which needs the recipients' opt-in). */
  messageClass?: 'Personal' | 'Informational' | 'Advertisement' | 'Auto';
  /** The Content element's allowAdaptations (TS 23.140 §8.7.1); unset: not written (adaptation allowed). */
  allowAdaptations?: boolean;
}

export function mm7SubmitReq(o: SubmitOptions): { contentType: string; body: Buffer } {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const xml =
    `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${MM7_NS}">${o.transactionId ?? 't-1'}</TransactionID></e:Header><e:Body>` +
    `<SubmitReq xmlns="${MM7_NS}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>${o.vasp}</VASPID><SenderAddress><ShortCode>${o.shortCode}</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To>${o.to.map((n) => `<${o.toKind ?? 'Number'}>${n}</${o.toKind ?? 'Number'}>`).join('')}</To></Recipients>` +
    (o.messageClass ? `<MessageClass>${o.messageClass}</MessageClass>` : '') +
    (o.deliveryReport ? '<DeliveryReport>true</DeliveryReport>' : '') +
    (o.readReply ? '<ReadReply>true</ReadReply>' : '') +
    (o.expiry ? `<ExpiryDate>${o.expiry}</ExpiryDate>` : '') +
    (o.subject !== undefined ? `<Subject>${esc(o.subject)}</Subject>` : '') +
    `<Content href="cid:content"${o.allowAdaptations === undefined ? '' : ` allowAdaptations="${o.allowAdaptations}"`}/></SubmitReq></e:Body></e:Envelope>`;
  return withContent(xml, o.parts, o.contentFirst);
}

/** A ReplaceReq for `messageId` with new content (the parts), as mm7SubmitReq lays it out. */
export function mm7ReplaceReq(o: { vasp: string; messageId: string; parts: Mm7Part[]; contentFirst?: boolean }): {
  contentType: string;
  body: Buffer;
} {
  const xml =
    `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${MM7_NS}">t-2</TransactionID></e:Header><e:Body>` +
    `<ReplaceReq xmlns="${MM7_NS}"><MM7Version>6.8.0</MM7Version><VASPID>${o.vasp}</VASPID><MessageID>${o.messageId}</MessageID>` +
    `<Content href="cid:content"/></ReplaceReq></e:Body></e:Envelope>`;
  return withContent(xml, o.parts, o.contentFirst);
}

/** SOAP with attachments: the envelope, then the parts as a multipart/related of their own (href cid:content). */
function withContent(xml: string, parts: Mm7Part[], contentFirst = false): { contentType: string; body: Buffer } {
  const inner = 'inner-boundary-5f1c';
  const outer = 'outer-boundary-9a2e';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(`--${inner}\r\nContent-Type: ${p.type}\r\nContent-Location: ${p.name}\r\nContent-Transfer-Encoding: binary\r\n\r\n`),
      p.body,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${inner}--\r\n`));
  const content = Buffer.concat(chunks);
  const soap = Buffer.from(`--${outer}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <soap>\r\n\r\n${xml}\r\n`);
  const attachment = Buffer.concat([
    Buffer.from(`--${outer}\r\nContent-Type: multipart/related; boundary="${inner}"\r\nContent-ID: <content>\r\n\r\n`),
    content,
    Buffer.from('\r\n'),
  ]);
  const body = Buffer.concat([...(contentFirst ? [attachment, soap] : [soap, attachment]), Buffer.from(`--${outer}--\r\n`)]);
  return { contentType: `multipart/related; boundary="${outer}"; type="text/xml"; start="<soap>"`, body };
}

/** POST a SubmitReq to an MM7 listener with HTTP Basic `user:password`; the MessageID it answered, if any. */
export async function postSubmitReq(
  url: string,
  req: { contentType: string; body: Buffer },
  credentials: string,
): Promise<string | undefined> {
  const r = await fetch(url, {
    method: 'POST',
    body: new Uint8Array(req.body),
    headers: { 'content-type': req.contentType, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  });
  return /<(?:\w+:)?MessageID>([^<]+)</.exec(await r.text())?.[1];
}
