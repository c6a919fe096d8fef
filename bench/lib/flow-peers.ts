/**
 * The peers of the whole-flow bench (bench/flow.ts) around the gateway, all in the bench's process:
 *
 * - `VaspReceiver`: the VASP's own MM7 URL. It answers every request 1000 (Success) and hands each
 *   DeliveryReportReq (recipient, MMStatus, MessageID) to a callback.
 * - `HandsetFleet`: the subscribers. It is fed the submit_sm the SMSC simulator (test/helpers/smsc.ts) accepts,
 *   reassembles each WAP push (concatenated SMS, WDP ports), and on an m-notification-ind at once GETs its
 *   Content-Location (origin replaced by the MM1 listener's, as a WAP proxy would) with the subscriber in the
 *   msisdn header from 127.0.0.1 (a trusted proxy by default), then POSTs the m-acknowledge-ind
 *   (OMA-TS-MMS_ENC 6.4: the Transaction-ID of the m-retrieve-conf).
 *
 * Both count what they saw and what went wrong, so that a stalled flow can say where it stopped.
 */
import { createServer, type Server, type Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodePdu, encodePdu } from '../../protocols/mms/index.js';
import { parseWspPush, reassemblePush } from '../../protocols/push/index.js';
import { userData } from '../../test/helpers/handset.js';
import type { SubmitRecord } from '../../test/helpers/smsc.js';

const MMS = 'application/vnd.wap.mms-message';
const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

/**
 * One HTTP exchange over `agent`, the whole answer body kept. A request that finds its reused keep-alive
 * connection closed by the server meanwhile (ECONNRESET before any answer: the server never read it) is sent
 * once more on a new one, as HTTP clients do (Node's http docs, "request.reusedSocket").
 */
export function httpExchange(
  agent: Agent,
  url: string,
  o: { method?: string; headers?: Record<string, string | number>; body?: Buffer } = {},
  retry = true,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && err.code === 'ECONNRESET') httpExchange(agent, url, o, false).then(resolve, reject);
      else reject(err);
    });
    req.end(o.body);
  });
}

// ---------------------------------------------------------------------------------------------------------
// The VASP's receiver.

export interface DeliveryReport {
  /** The recipient as the report names it (digits, no "+"). */
  recipient: string;
  status: string;
  messageId: string;
}

/** First text of element `name` (any namespace prefix) after `from`. */
function element(xml: string, name: string, from = 0): string | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)<`).exec(from ? xml.slice(from) : xml);
  return m?.[1]?.trim();
}

export class VaspReceiver {
  /** Requests by kind (DeliveryReportReq, DeliverReq, ...). */
  readonly kinds = new Map<string, number>();
  url = '';
  private server: Server | undefined;

  constructor(private readonly onReport: (r: DeliveryReport) => void) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const xml = Buffer.concat(chunks).toString('utf8');
        const body = xml.indexOf('Body');
        const kind = /<(?:[\w-]+:)?(\w+Req)[\s>]/.exec(xml.slice(Math.max(0, body)))?.[1] ?? 'unknown';
        this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
        const tx = element(xml, 'TransactionID') ?? 'x';
        const rsp = kind.replace(/Req$/, 'Rsp');
        res
          .writeHead(200, { 'content-type': 'text/xml; charset="utf-8"' })
          .end(
            `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}" e:mustUnderstand="1">${tx}</TransactionID></e:Header>` +
              `<e:Body><${rsp} xmlns="${NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode><StatusText>Success</StatusText></Status></${rsp}></e:Body></e:Envelope>`,
          );
        if (kind === 'DeliveryReportReq') {
          const at = xml.search(/<(?:[\w-]+:)?Recipient[\s>]/);
          this.onReport({
            recipient: (element(xml, 'Number', Math.max(0, at)) ?? '').replace(/^\+/, ''),
            status: element(xml, 'MMStatus') ?? '',
            messageId: element(xml, 'MessageID') ?? '',
          });
        }
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mm7`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The handsets.

export interface FleetCounts {
  /** submit_sm seen at the SMSC. */
  segments: number;
  /** Whole WAP pushes reassembled, and of those m-notification-ind. */
  pushes: number;
  notifications: number;
  /** m-retrieve-conf received (HTTP 200), m-acknowledge-ind answered 204. */
  retrieved: number;
  acknowledged: number;
  errors: number;
}

/** The concatenation reference, count and sequence of a segment (IEI 0x00 or 0x08), undefined for a single SMS. */
function concatOf(s: SubmitRecord): { ref: string; total: number } | undefined {
  const ie = s.udh?.find((e) => e[0] === 0x00 || e[0] === 0x08);
  if (!ie) return undefined;
  return { ref: ie.subarray(2, ie[0] === 0x00 ? 3 : 4).toString('hex'), total: ie[ie.length - 2]! };
}

export class HandsetFleet {
  readonly counts: FleetCounts = { segments: 0, pushes: 0, notifications: 0, retrieved: 0, acknowledged: 0, errors: 0 };
  /** The first few errors, for the report. */
  readonly errors: string[] = [];
  private readonly partial = new Map<string, Buffer[]>();

  /** mm1: the MM1 listener's real URL; header: mm1.msisdnHeader. */
  constructor(
    private readonly mm1: string,
    private readonly agent: Agent,
    private readonly header = 'x-msisdn',
  ) {}

  /** A submit_sm the SMSC accepted (call it once the answer is on its way): the handset acts when a push is whole. */
  onSubmit(s: SubmitRecord): void {
    this.counts.segments++;
    if (s.octets === undefined || s.udh === undefined) return; // a text SMS, not a WAP push
    const concat = concatOf(s);
    let segments = [userData(s)];
    if (concat) {
      const key = `${s.destinationAddr} ${concat.ref}`;
      segments = [...(this.partial.get(key) ?? []), ...segments];
      if (segments.length < concat.total) return void this.partial.set(key, segments);
      this.partial.delete(key);
    }
    let location: string;
    try {
      const pdu = decodePdu(parseWspPush(reassemblePush(segments).pdu).data);
      this.counts.pushes++;
      if (pdu.messageType !== 'm-notification-ind') return;
      this.counts.notifications++;
      location = pdu.contentLocation;
    } catch (err) {
      return this.fail(`push to ${s.destinationAddr}: ${(err as Error).message}`);
    }
    this.fetch(`+${s.destinationAddr}`, location).catch((err: unknown) =>
      this.fail(`handset +${s.destinationAddr}: ${(err as Error).message}`),
    );
  }

  private async fetch(msisdn: string, location: string): Promise<void> {
    const u = new URL(location);
    const conf = await httpExchange(this.agent, `${this.mm1}${u.pathname}${u.search}`, { headers: { [this.header]: msisdn } });
    const pdu = conf.status === 200 ? decodePdu(conf.body) : undefined;
    if (pdu?.messageType !== 'm-retrieve-conf' || !pdu.transactionId)
      throw new Error(`retrieval: HTTP ${conf.status}, ${pdu?.messageType ?? conf.body.toString('latin1').slice(0, 120)}`);
    this.counts.retrieved++;
    const ack = encodePdu({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: pdu.transactionId });
    const a = await httpExchange(this.agent, `${this.mm1}/`, {
      method: 'POST',
      headers: { 'content-type': MMS, [this.header]: msisdn },
      body: ack,
    });
    if (a.status !== 204) throw new Error(`m-acknowledge-ind: HTTP ${a.status}`);
    this.counts.acknowledged++;
  }

  private fail(why: string): void {
    this.counts.errors++;
    if (this.errors.length < 5) this.errors.push(why);
  }
}
