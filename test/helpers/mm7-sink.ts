// A receiving VASP for the multi-instance tests: records every DeliverReq the gateways send it with the
// fields that identify the message (read with regular expressions, not with the gateway's own MM7 parser, so
// that what is checked is what a VASP would see), and answers 1000 after `delayMs`, so that a gateway killed
// meanwhile dies with a delivery in progress. It counts the requests each instance has in progress (by the
// MMSRelayServerID the instance sends, mm7.relayServerId).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { MM7_NS } from './mm7-request.js';

/** One DeliverReq as it arrived. */
export interface DeliveredCopy {
  /** The SOAP header's TransactionID (the gateway writes <Message-ID>.<recipient index>). */
  transactionId: string;
  /** MMSRelayServerID: which instance sent this copy. */
  relay: string;
  sender: string;
  /** The Recipients element, whitespace removed. */
  recipients: string;
  subject: string;
  timeStamp: string;
  /** The content bytes of the text part, as far as the test's marker (payload-<n>) goes. */
  payload: string;
  /** Date.now() on arrival. */
  at: number;
}

export interface Mm7Sink {
  url: string;
  copies: DeliveredCopy[];
  /** The copies whose answer is still being held, by relay. */
  pending(relay: string): DeliveredCopy[];
}

const field = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml)?.[1] ?? '';

export async function mm7Sink(t: Test, delayMs: number): Promise<Mm7Sink> {
  const copies: DeliveredCopy[] = [];
  const held = new Set<DeliveredCopy>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const copy: DeliveredCopy = {
        transactionId: field(body, 'TransactionID'),
        relay: field(body, 'MMSRelayServerID'),
        sender: field(body, 'Sender').replace(/\s+/g, ''),
        recipients: field(body, 'Recipients').replace(/\s+/g, ''),
        subject: field(body, 'Subject'),
        timeStamp: field(body, 'TimeStamp'),
        payload: /payload-\d+/.exec(body)?.[0] ?? '',
        at: Date.now(),
      };
      const kind = /<(?:\w+:)?(\w+Req)\b/.exec(body)?.[1];
      if (kind === 'DeliverReq') copies.push(copy);
      held.add(copy);
      const rsp = (kind ?? 'DeliverReq').replace(/Req$/, 'Rsp');
      setTimeout(() => {
        held.delete(copy);
        res
          .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
          .end(
            `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${MM7_NS}">${copy.transactionId}</TransactionID></e:Header>` +
              `<e:Body><${rsp} xmlns="${MM7_NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></${rsp}></e:Body></e:Envelope>`,
          );
      }, delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mm7`,
    copies,
    pending: (relay) => [...held].filter((c) => c.relay === relay),
  };
}
