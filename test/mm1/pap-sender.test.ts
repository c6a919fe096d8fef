// PapSender against a node:http server on loopback playing the PPG: what it sends (method, path, multipart/related
// with boundary and type, Basic auth from the URL's user info, the control XML read with fast-xml-parser, the
// content entity), and how each kind of answer maps to a result or a PapSendError (code, transient, papCode).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { parseMultipart, type MimeEntity } from '../../protocols/mime/index.js';
import { PapSendError, PapSender } from '../../src/mm1/pap-sender.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Answer = (res: ServerResponse, seen: Seen) => void;

/** A PPG stand-in: records each request and answers with `answer`. */
async function ppg(t: Test, answer: Answer) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      answer(res, s);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as AddressInfo).port;
  return { seen, port, url: `http://ppg%40user:s3cr%3At@127.0.0.1:${port}/wappush` };
}

const DOCTYPE = '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">';

/** A push-response as Kannel writes it, echoing the request's push-id. */
function pushResponse(code: number, desc: string, status = 202): Answer {
  return (res, seen) => {
    const pushId = /push-id="([^"]*)"/.exec(seen.body.toString('latin1'))?.[1] ?? 'unknown';
    res
      .writeHead(status, { 'content-type': 'application/xml' })
      .end(
        `<?xml version="1.0"?>${DOCTYPE}<pap><push-response push-id="${pushId}" sender-name="test PPG" reply-time="2031-01-02T03:04:05Z" ` +
          `sender-address="/wappush"><response-result code ="${code}" desc="${desc}"></response-result></push-response></pap>`,
      );
  };
}

function badMessage(code: number, status = 202): Answer {
  return (res) =>
    res
      .writeHead(status, { 'content-type': 'application/xml' })
      .end(
        `<?xml version="1.0"?>${DOCTYPE}<pap><badmessage-response code="${code}" desc="Bad Request" bad-message-fragment="&lt;pap&gt;"/></pap>`,
      );
}

const log = pino({ level: 'silent' });
const MMS = Buffer.from('8c82983132330d0a2d2d8d928918802b31353535313233343536372f545950453d504c4d4e00', 'hex');

function sender(url: string, timeoutMs = 2000) {
  const results: string[] = [];
  const s = new PapSender({ url, timeoutMs, addressDomain: 'ppg.example.net' }, { log, onResult: (r) => results.push(r) });
  return { s, results };
}

async function failure(p: Promise<unknown>): Promise<PapSendError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PapSendError) return e;
    throw e;
  }
  throw new Error('the push was accepted');
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false });

t.test('1001: accepted, and the request is a PAP push submission', async (t) => {
  const p = await ppg(t, pushResponse(1001, 'The request has been accepted for processing'));
  const { s, results } = sender(p.url);
  const before = new Date('2031-06-07T08:09:10.500Z');
  const r = await s.send('+15551234567', MMS, { deliverBefore: before });
  t.match(r.pushId, /^[0-9a-f-]{36}$/, 'a fresh push-id');
  t.same(r, { pushId: r.pushId, code: 1001, description: 'The request has been accepted for processing' });
  t.same(results, ['accepted']);

  t.equal(p.seen.length, 1);
  const req = p.seen[0]!;
  t.equal(req.method, 'POST');
  t.equal(req.url, '/wappush');
  const ct = req.headers['content-type'] ?? '';
  t.match(ct, /^multipart\/related; boundary=[0-9A-Za-z-]+; type="application\/xml"$/, 'multipart/related with boundary and type');
  t.equal(req.headers.authorization, `Basic ${Buffer.from('ppg@user:s3cr:t').toString('base64')}`, 'Basic auth from the URL user info');
  t.equal(req.headers['user-agent'], undefined, 'no User-Agent for a PPG to copy into the push');
  t.equal(Number(req.headers['content-length']), req.body.length);

  const root = await parseMultipart(
    (async function* () {
      yield req.body;
    })(),
    ct,
  );
  const [control, content] = root.parts as MimeEntity[];
  t.equal(control!.contentType.type, 'application/xml');
  const pm = (
    xml.parse(control!.body!.toString('utf8')) as {
      pap: { 'push-message': Record<string, string> & { address: Record<string, string>; 'quality-of-service': Record<string, string> } };
    }
  ).pap['push-message'];
  t.equal(pm['push-id'], r.pushId, 'push-id in the control entity is the one returned');
  t.equal(pm['deliver-before-timestamp'], '2031-06-07T08:09:10Z');
  t.equal(pm.address['address-value'], 'WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.net');
  t.equal(pm['quality-of-service']['delivery-method'], 'unconfirmed', 'connectionless push');
  t.equal(content!.contentType.type, 'application/vnd.wap.mms-message');
  t.equal(content!.headers.get('x-wap-application-id'), 'x-wap-application:mms.ua');
  t.ok(content!.body!.equals(MMS), 'the MMS PDU, byte for byte');
});

t.test('a given push-id is used (retries reuse it); 1000 is accepted too', async (t) => {
  const p = await ppg(t, pushResponse(1000, 'OK', 200));
  const { s } = sender(p.url);
  const r = await s.send('+4915123456789', MMS, { pushId: 'retry-7@mmsc' });
  t.same(r, { pushId: 'retry-7@mmsc', code: 1000, description: 'OK' });
  t.match(p.seen[0]!.body.toString('latin1'), /push-id="retry-7@mmsc"/);
});

t.test('a push-response for another push-id is still an acceptance (refusing would make the caller push twice)', async (t) => {
  const p = await ppg(t, (res) =>
    res
      .writeHead(202)
      .end(`<pap><push-response push-id="someone-else"><response-result code="1001" desc="Accepted"/></push-response></pap>`),
  );
  const { s, results } = sender(p.url);
  const r = await s.send('+15551234567', MMS, { pushId: 'mine' });
  t.same(r, { pushId: 'mine', code: 1001, description: 'Accepted' });
  t.same(results, ['accepted']);
});

t.test('PAP refusals: REJECTED, transient per §9.13', async (t) => {
  const cases: Array<[number, boolean]> = [
    [2002, false],
    [2007, false],
    [3006, false],
    [3000, true],
    [3010, true],
    [4000, true],
    [4001, true],
  ];
  for (const [code, transient] of cases) {
    const p = await ppg(t, pushResponse(code, `refused ${code}`));
    const { s, results } = sender(p.url);
    const e = await failure(s.send('+15551234567', MMS));
    t.match(
      e,
      { name: 'PapSendError', code: 'REJECTED', transient, papCode: code },
      `${code}: REJECTED, ${transient ? 'transient' : 'permanent'}`,
    );
    t.match(e.message, new RegExp(`${code} .*refused ${code}`));
    t.same(results, ['rejected']);
  }
});

t.test('badmessage-response: REJECTED permanent, whatever the HTTP status', async (t) => {
  for (const status of [202, 400]) {
    const p = await ppg(t, badMessage(2000, status));
    const { s, results } = sender(p.url);
    const e = await failure(s.send('+15551234567', MMS));
    t.match(e, { code: 'REJECTED', transient: false, papCode: 2000 }, `HTTP ${status}`);
    t.same(results, ['rejected']);
  }
});

t.test('HTTP errors without a PAP document: HTTP_STATUS', async (t) => {
  for (const [status, transient] of [
    [500, true],
    [503, true],
    [429, true],
    [401, false],
    [404, false],
  ] as const) {
    const p = await ppg(t, (res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('nope'));
    const { s, results } = sender(p.url);
    const e = await failure(s.send('+15551234567', MMS));
    t.match(e, { code: 'HTTP_STATUS', transient, papCode: undefined }, `HTTP ${status}: ${transient ? 'transient' : 'permanent'}`);
    t.same(results, ['error']);
  }
});

t.test('an answer that is not PAP: BAD_RESPONSE, transient', async (t) => {
  const answers: Array<[string, Answer]> = [
    ['HTML', (res) => res.writeHead(202, { 'content-type': 'text/html' }).end('<html><body>Accepted</body></html>')],
    ['not XML', (res) => res.writeHead(200).end('OK')],
    ['empty', (res) => res.writeHead(202).end()],
    ['billion laughs', (res) => res.writeHead(202).end('<!DOCTYPE pap [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><pap/>')],
    ['over 64 KiB', (res) => res.writeHead(202).end(Buffer.alloc(200_000, 0x20))],
  ];
  for (const [what, answer] of answers) {
    const p = await ppg(t, answer);
    const { s, results } = sender(p.url);
    const e = await failure(s.send('+15551234567', MMS));
    t.match(e, { code: 'BAD_RESPONSE', transient: true }, what);
    t.same(results, ['error']);
  }
});

t.test('no answer in time: TIMEOUT; nobody listening: TRANSPORT', async (t) => {
  const p = await ppg(t, () => {}); // reads the request, never answers
  const { s, results } = sender(p.url, 300);
  const t0 = performance.now();
  const e = await failure(s.send('+15551234567', MMS));
  t.match(e, { code: 'TIMEOUT', transient: true });
  t.ok(performance.now() - t0 < 2000, 'within the deadline');
  t.same(results, ['error']);

  // A port that was just free: bind it, close it, connect to it.
  const dead = createServer();
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const { s: s2, results: r2 } = sender(`http://127.0.0.1:${port}/wappush`);
  const e2 = await failure(s2.send('+15551234567', MMS));
  t.match(e2, { code: 'TRANSPORT', transient: true });
  t.same(r2, ['error']);
});

t.test('a push that cannot be written is refused before any request', async (t) => {
  const p = await ppg(t, pushResponse(1001, 'x'));
  const { s, results } = sender(p.url);
  const e = await failure(s.send('015551234567', MMS));
  t.match(e, { code: 'REJECTED', transient: false, papCode: undefined });
  t.match(e.cause, { name: 'PapError', code: 'INVALID_MESSAGE' });
  t.equal(p.seen.length, 0, 'nothing sent');
  t.same(results, ['error'], 'counted as an error, not as a PPG refusal');
  t.throws(() => new PapSender({ url: 'not a url', timeoutMs: 1000 }, { log }), TypeError, 'a bad URL fails at construction');
});
