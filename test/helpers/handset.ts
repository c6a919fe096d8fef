// A handset for tests: speaks the binary MMS PDUs over real HTTP to the MM1 listener, as a phone behind the
// operator's WAP gateway does (the gateway adds the subscriber header), and reads the WAP pushes the SMSC
// simulator received for it.
import { request } from 'node:http';
import { decodePdu, encodePdu, type MmsPdu } from '../../protocols/mms/index.js';
import { parseWspPush, reassemblePush } from '../../protocols/push/index.js';
import type { Smsc, SubmitRecord } from './smsc.js';

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

export class Handset {
  /** msisdn: +E.164; mm1: the listener's real URL (a Content-Location's origin is replaced by it, as a WAP proxy would). */
  constructor(
    readonly msisdn: string,
    private readonly mm1: string,
    private readonly header = 'x-msisdn',
  ) {}

  private url(location: string): string {
    const u = new URL(location);
    return `${this.mm1}${u.pathname}${u.search}`;
  }

  async post(pdu: MmsPdu | Buffer): Promise<{ status: number; pdu?: MmsPdu; body: Buffer }> {
    const body = Buffer.isBuffer(pdu) ? pdu : encodePdu(pdu);
    const a = await httpRequest(`${this.mm1}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.wap.mms-message', [this.header]: this.msisdn },
      body,
    });
    return {
      status: a.status,
      body: a.body,
      ...(a.headers['content-type'] === 'application/vnd.wap.mms-message' && a.body.length > 0 ? { pdu: decodePdu(a.body) } : {}),
    };
  }

  async retrieve(location: string): Promise<{ status: number; pdu?: MmsPdu }> {
    const a = await httpRequest(this.url(location), { headers: { [this.header]: this.msisdn } });
    return { status: a.status, ...(a.headers['content-type'] === 'application/vnd.wap.mms-message' ? { pdu: decodePdu(a.body) } : {}) };
  }

  /** The MMS PDUs pushed to this handset so far (WAP push over SMPP, reassembled by concatenation reference). */
  pushes(smsc: Pick<Smsc, 'submits'>): MmsPdu[] {
    const dest = this.msisdn.replace(/^\+/, '');
    const mine = smsc.submits.filter((s) => s.destinationAddr === dest && s.udh !== undefined && s.octets !== undefined);
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
}

/** The TP-User-Data of a submit: UDHL, the IEs, the payload. */
export function userData(s: SubmitRecord): Buffer {
  const ies = Buffer.concat(s.udh ?? []);
  return Buffer.concat([Buffer.from([ies.length]), ies, s.octets ?? Buffer.alloc(0)]);
}
