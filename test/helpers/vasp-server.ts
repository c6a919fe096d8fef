// A VASP's MM7 endpoint for tests: records each request the gateway sends it (DeliverReq, DeliveryReportReq,
// ReadReplyReq) and answers it 1000 Success in the request's own namespace (3GPP TS 23.140 §8.7).
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

/** Starts it on loopback; closed at the test's teardown. */
export async function vaspServer(t: Test): Promise<{ url: string; seen: Array<{ kind: string; body: string }> }> {
  const seen: Array<{ kind: string; body: string }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const m = /<(?:\w+:)?(\w+Req)\b[^>]*xmlns="([^"]+)"/.exec(body);
      const kind = m?.[1] ?? 'unknown';
      const ns = m?.[2] ?? '';
      const tid = /TransactionID[^>]*>([^<]*)</.exec(body)?.[1] ?? '';
      seen.push({ kind, body });
      const rsp = kind.replace(/Req$/, 'Rsp');
      res
        .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
        .end(
          `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
            `<TransactionID xmlns="${ns}" soap:mustUnderstand="1">${tid}</TransactionID></soap:Header><soap:Body>` +
            `<${rsp} xmlns="${ns}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode>` +
            `<StatusText>ok</StatusText></Status></${rsp}></soap:Body></soap:Envelope>`,
        );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mm7`, seen };
}
