// A simulated handset: speaks the binary MMS PDUs (OMA-TS-MMS_ENC) over real HTTP to the MM1 listener, as a
// phone behind the operator's WAP gateway does (the WAP gateway adds the subscriber header, here
// mm1.msisdnHeader, believed from mm1.trustedProxies), and reads the WAP pushes an SMSC simulator received
// for it. Used by tests, by `mmsc handset` and by the demo's handsets.
import { request } from 'node:http';
import { decodePdu, encodePdu, type MmsPdu } from '../../protocols/mms/index.js';
import { parseWspPush, reassemblePush } from '../../protocols/push/index.js';
import type { SubmitRecord } from './smsc-records.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** localAddress: the loopback address to connect from (e.g. 127.0.0.2), for tests of source-address checks. */
export function httpRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string | number | string[]>; body?: Buffer; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const MMS_TYPE = 'application/vnd.wap.mms-message';

export class Handset {
  /**
   * msisdn: +E.164; mm1: the listener's real URL (a Content-Location's origin is replaced by it, as a WAP
   * proxy would); header: the gateway's mm1.msisdnHeader.
   */
  constructor(
    readonly msisdn: string,
    private readonly mm1: string,
    private readonly header = 'x-msisdn',
  ) {}

  private url(location: string): string {
    const u = new URL(location);
    return `${this.mm1}${u.pathname}${u.search}`;
  }

  /** POSTs a PDU (m-send-req, m-acknowledge-ind, m-notifyresp-ind, m-read-rec-ind...): the answer, decoded when it is one. */
  async post(pdu: MmsPdu | Buffer): Promise<{ status: number; pdu?: MmsPdu; body: Buffer }> {
    const body = Buffer.isBuffer(pdu) ? pdu : encodePdu(pdu);
    const a = await httpRequest(`${this.mm1}/`, {
      method: 'POST',
      headers: { 'content-type': MMS_TYPE, [this.header]: this.msisdn },
      body,
    });
    return {
      status: a.status,
      body: a.body,
      ...(a.headers['content-type'] === MMS_TYPE && a.body.length > 0 ? { pdu: decodePdu(a.body) } : {}),
    };
  }

  /** GETs a Content-Location (WAP-209 retrieval): the m-retrieve-conf when the answer is one. */
  async retrieve(location: string): Promise<{ status: number; pdu?: MmsPdu; body: Buffer }> {
    const a = await httpRequest(this.url(location), { headers: { [this.header]: this.msisdn } });
    return { status: a.status, body: a.body, ...(a.headers['content-type'] === MMS_TYPE ? { pdu: decodePdu(a.body) } : {}) };
  }

  /** m-acknowledge-ind (OMA-TS-MMS_ENC §6.4): the retrieval of the m-retrieve-conf of this transaction went well. */
  acknowledge(transactionId: string): Promise<{ status: number; body: Buffer }> {
    return this.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId });
  }

  /** m-read-rec-ind (§6.7.2): the message `messageId` from `to` was read. */
  readReport(messageId: string, to: string): Promise<{ status: number; body: Buffer }> {
    return this.post({
      messageType: 'm-read-rec-ind',
      mmsVersion: '1.2',
      messageId,
      to: [plmn(to)],
      from: { insertAddress: true },
      readStatus: 'Read',
    });
  }

  /** m-send-req (§6.1.1) of one text or one file to `to`, asking for a delivery report (and a read report): the m-send-conf. */
  send(
    to: string[],
    content: { text: string } | { data: Buffer; type: string; name: string },
    o: { subject?: string; readReport?: boolean } = {},
  ) {
    const part =
      'text' in content
        ? {
            contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } },
            contentLocation: 'text.txt',
            data: Buffer.from(content.text, 'utf8'),
          }
        : { contentType: { mediaType: content.type }, contentLocation: content.name, data: content.data };
    return this.post({
      messageType: 'm-send-req',
      transactionId: `handset-${Date.now().toString(36)}`,
      mmsVersion: '1.2',
      from: { insertAddress: true },
      to: to.map(plmn),
      ...(o.subject !== undefined ? { subject: o.subject } : {}),
      deliveryReport: 'Yes',
      ...(o.readReport ? { readReport: 'Yes' as const } : {}),
      contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
      parts: [part],
    });
  }

  /** The MMS PDUs pushed to this handset so far (WAP push over SMPP, reassembled by concatenation reference). */
  pushes(smsc: { submits: readonly SubmitRecord[] }): MmsPdu[] {
    return pushesTo(smsc.submits, this.msisdn);
  }
}

/** +E.164 -> the MMS address form (OMA-TS-MMS_ENC §8: number/TYPE=PLMN); an e-mail address is one already. */
const plmn = (n: string) => (n.includes('/TYPE=') || n.includes('@') ? n : `${n}/TYPE=PLMN`);

/**
 * The MMS PDUs in the WAP pushes (WAP-259 WDP over SMS: UDH port addressing, concatenated when long) among
 * `submits` to `msisdn`, in order of their first segment; an incomplete concatenation is left out until its
 * last segment is there.
 */
export function pushesTo(submits: readonly SubmitRecord[], msisdn: string): MmsPdu[] {
  const dest = msisdn.replace(/^\+/, '');
  const mine = submits.filter((s) => s.destinationAddr === dest && s.udh !== undefined && s.octets !== undefined);
  const groups = new Map<string, Buffer[]>();
  for (const s of mine) {
    const concat = s.udh!.find((ie) => ie[0] === 0x00 || ie[0] === 0x08);
    const key = concat ? `c${concat.subarray(2, concat[0] === 0x00 ? 3 : 4).toString('hex')}` : `n${s.n}`;
    const list = groups.get(key) ?? [];
    list.push(userData(s));
    groups.set(key, list);
  }
  const out: MmsPdu[] = [];
  for (const segments of groups.values()) {
    try {
      out.push(decodePdu(parseWspPush(reassemblePush(segments).pdu).data));
    } catch {
      // an incomplete concatenation: not there yet
    }
  }
  return out;
}

/** The TP-User-Data of a submit: UDHL, the IEs, the payload. */
export function userData(s: SubmitRecord): Buffer {
  const ies = Buffer.concat(s.udh ?? []);
  return Buffer.concat([Buffer.from([ies.length]), ies, s.octets ?? Buffer.alloc(0)]);
}
