// The MM7 server over real HTTP on loopback, with the embedded store: the public samples, auth, limits and
// the status codes. Expected values are read off the sample files by hand (see conformance/vectors/SOURCES.md).
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { VECTORS } from '../helpers/paths.js';

const MM7 = join(VECTORS, 'mm7');
const NS6 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

const VASPS: VaspConfig[] = [
  // sinch submit-04: VASPID spUsdstW2u6GbvnMOsdseXrBa7NNLwTdKL, ShortCode 111122
  vasp({ id: 'spUsdstW2u6GbvnMOsdseXrBa7NNLwTdKL', username: 'sinch', password: 'pw-sinch', senders: ['111122'] }),
  // mmsgw: VASPID VASP01, ShortCode 12345
  vasp({ id: 'VASP01', username: 'mmsgw', password: 'pw-mmsgw', senders: ['12345'] }),
  // sinch submit-01: VASPID skfdjslkjfdslkfj434das, ShortCode 111122
  vasp({ id: 'skfdjslkjfdslkfj434das', username: 'doc', password: 'pw-doc', senders: ['111122'] }),
  vasp({ id: 'small', username: 'small', password: 'pw-small', senders: ['111122'], maxMessageBytes: 20 }),
  vasp({ id: 'fenced', username: 'fenced', password: 'pw-fenced', senders: ['111122'], allowIps: ['192.0.2.1'] }),
];

function vasp(v: Partial<VaspConfig> & Pick<VaspConfig, 'id' | 'username' | 'password' | 'senders'>): VaspConfig {
  return {
    maxMessageBytes: 300 * 1024,
    rate: 1000,
    burst: 1000,
    maxInFlight: 100,
    version: 'REL-6-MM7-1-4',
    deliveryRate: 20,
    deliveryBurst: 20,
    deliveryMaxInFlight: 10,
    ...v,
  };
}

async function start(t: Test, extra: Partial<ReturnType<typeof ConfigSchema.parse>['mm7']> = {}, now?: () => number) {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS, ...extra } }).mm7;
  const store = createMemoryStore(now ? { now } : {});
  const metrics = new Metrics();
  const opts = {
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: pino({ level: 'silent' }),
  };
  const server = new Mm7Server(now ? { ...opts, now } : opts);
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, queue: store.queue, metrics };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(url: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** A sample that is a whole HTTP request: its Content-Type (unfolded) and its body. */
function httpSample(file: string): { contentType: string; body: Buffer } {
  const raw = readFileSync(join(MM7, file));
  // The first empty line ends the head (the samples mix CRLF and LF: mmsgw's head ends "\r\n\n").
  const blank = /\r?\n\r?\n/.exec(raw.toString('latin1'))!;
  const head = raw
    .subarray(0, blank.index)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const contentType = /^content-type:\s*(.*)$/im.exec(head)![1]!.trim();
  return { contentType, body: raw.subarray(blank.index + blank[0].length) };
}

/** The <Tag>value</Tag> of an answer, whatever its prefix. */
function field(xml: string, tag: string): string | undefined {
  return new RegExp(`<(?:[\\w-]+:)?${tag}\\b[^>]*>([^<]*)</(?:[\\w-]+:)?${tag}>`).exec(xml)?.[1];
}

t.test('public SubmitReq samples are accepted: 1000 with a MessageID, the message queued', async (t) => {
  const cases = [
    // Sent 2015-05-21T18:54:48Z (its TimeStamp) with ExpiryDate three days later: the server's clock is set
    // to its TimeStamp (today the ExpiryDate has passed: see the next test).
    {
      file: 'sinch-mm7-docs/submit-04-Request.txt',
      user: 'sinch',
      pw: 'pw-sinch',
      tx: '555e29f8879be',
      to: ['+16179593069'],
      subject: 'My first MM7 Message',
      parts: ['text/plain', 'application/smil'],
      dr: true,
      at: Date.UTC(2015, 4, 21, 18, 54, 48),
      expires: Date.UTC(2015, 4, 24, 18, 54, 48),
    },
    {
      file: 'mmsgw-generated/mm7-SubmitReq-from-mmsgw.http',
      user: 'mmsgw',
      pw: 'pw-mmsgw',
      tx: 'ccff620d86b24f639b5b69ac19c1df3b',
      to: ['+4915112345678'],
      subject: 'hello from mmsgw',
      parts: ['text/plain'],
      dr: true,
    },
  ];
  for (const c of cases) {
    const { url, queue } = await start(t, {}, c.at === undefined ? undefined : () => c.at!);
    const { contentType, body } = httpSample(c.file);
    const r = await post(url, body, { 'content-type': contentType, authorization: basic(c.user, c.pw) });
    t.equal(r.status, 200, `${c.file}: HTTP 200`);
    t.match(r.headers['content-type'], /^text\/xml/);
    t.equal(field(r.body, 'StatusCode'), '1000', `${c.file}: StatusCode 1000 (${field(r.body, 'StatusText')})`);
    t.equal(field(r.body, 'TransactionID'), c.tx, 'the TransactionID comes back');
    t.match(r.body, NS6, 'answered in the namespace of the request');
    t.equal(field(r.body, 'MM7Version'), '6.8.0');
    const id = field(r.body, 'MessageID');
    t.ok(id, 'a MessageID');
    const m = await queue.message(id!);
    t.strictSame(
      m?.recipients.map((x) => x.address),
      c.to,
      'recipients as E.164',
    );
    t.equal(m?.subject, c.subject);
    t.equal(m?.deliveryReport, c.dr);
    t.strictSame(
      m?.parts.map((p) => p.contentType),
      c.parts,
      'the attachment parts',
    );
    t.equal(m?.origin.iface, 'mm7');
    if (c.expires !== undefined) t.equal(m?.expiresAt, c.expires, 'ExpiryDate kept');
    const content = await queue.content(id!);
    t.equal(content?.length, c.parts.length, 'content stored');
  }
});

t.test('the text of a stored part is the attachment as sent', async (t) => {
  const { url, queue } = await start(t, {}, () => Date.UTC(2015, 4, 21, 18, 54, 48));
  const { contentType, body } = httpSample('sinch-mm7-docs/submit-04-Request.txt');
  const r = await post(url, body, { 'content-type': contentType, authorization: basic('sinch', 'pw-sinch') });
  const content = await queue.content(field(r.body, 'MessageID')!);
  t.equal(content?.[0]?.toString('utf8'), 'MM7 Test Text');
  t.match(content?.[1]?.toString('utf8'), /^<\?xml version="1.0" encoding="UTF-8"\?><smil>/);
});

t.test('samples that are not a SubmitReq, or broken, get the documented status', async (t) => {
  const { url } = await start(t);
  const auth = basic('sinch', 'pw-sinch');
  // submit-04 posted today: its ExpiryDate (2015-05-24) has passed: 4004, the message is not taken.
  const old = httpSample('sinch-mm7-docs/submit-04-Request.txt');
  const r0 = await post(url, old.body, { 'content-type': old.contentType, authorization: auth });
  t.equal(field(r0.body, 'StatusCode'), '4004', 'an ExpiryDate in the past: 4004 Validation error');
  t.match(field(r0.body, 'StatusText'), /2015-05-24T18:54:48\+00:00 is in the past/);
  // A DeliverReq goes from an MMSC to a VASP: posted to the MMSC it is an unsupported operation (4003).
  const deliver = httpSample('instantcom-mm7/deliver-req-post.txt');
  let r = r0;
  r = await post(url, deliver.body, { 'content-type': deliver.contentType, authorization: auth });
  t.equal(r.status, 200);
  t.equal(field(r.body, 'StatusCode'), '4003', 'DeliverReq: 4003 Unsupported operation');
  // submit-01 is the envelope alone (from the docs): its Content href cid:generic names no attachment: 2007.
  r = await post(url, readFileSync(join(MM7, 'sinch-mm7-docs/submit-01-Example.txt')), {
    'content-type': 'text/xml',
    authorization: basic('doc', 'pw-doc'),
  });
  t.equal(field(r.body, 'StatusCode'), '2007', 'missing attachment: 2007 Message format corrupt');
  t.match(field(r.body, 'StatusText'), /cid:generic/);
  t.equal(field(r.body, 'TransactionID'), '1000001');
  // deliver-03 is not well-formed XML (the docs' `soap-env::Header` typo).
  const broken = httpSample('sinch-mm7-docs/deliver-03-Request.txt');
  r = await post(url, broken.body, { 'content-type': broken.contentType, authorization: auth });
  t.equal(r.status, 200, 'still a SOAP answer');
  t.match(field(r.body, 'StatusCode'), /^(2007|4004)$/, 'malformed XML: a client-error status');
  t.match(r.body, /RSErrorRsp/);
});

const SUBMIT = (inner: string, tx = 'tx-1', ns = NS6) =>
  `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>` +
  `<mm7:TransactionID xmlns:mm7="${ns}" env:mustUnderstand="1">${tx}</mm7:TransactionID></env:Header><env:Body>` +
  `<SubmitReq xmlns="${ns}"><MM7Version>6.8.0</MM7Version>${inner}</SubmitReq></env:Body></env:Envelope>`;
const SENDER =
  '<SenderIdentification><VASPID>skfdjslkjfdslkfj434das</VASPID><SenderAddress><ShortCode>111122</ShortCode></SenderAddress></SenderIdentification>';
const TO = (n: string) => `<Recipients><To><Number>${n}</Number></To></Recipients>`;

t.test('status codes of the SubmitReq checks', async (t) => {
  const { url, metrics } = await start(t);
  const doc = { 'content-type': 'text/xml; charset=utf-8', authorization: basic('doc', 'pw-doc') };
  const status = async (xml: string, headers = doc) => {
    const r = await post(url, xml, headers);
    t.equal(r.status, 200);
    return { code: field(r.body, 'StatusCode'), text: field(r.body, 'StatusText') ?? '', body: r.body };
  };
  let s = await status(SUBMIT(`${SENDER}${TO('16172383232')}<Subject>plain SOAP, no content</Subject>`));
  t.equal(s.code, '1000', `plain SOAP without attachment is accepted (${s.text})`);
  s = await status(
    SUBMIT(
      `<SenderIdentification><VASPID>skfdjslkjfdslkfj434das</VASPID><SenderAddress><ShortCode>99999</ShortCode></SenderAddress></SenderIdentification>${TO('16172383232')}`,
    ),
  );
  t.equal(s.code, '2001', 'sender not allowed: 2001 Operation restricted');
  t.match(s.text, /99999/);
  s = await status(SUBMIT(`<SenderIdentification><VASPID>someone-else</VASPID></SenderIdentification>${TO('16172383232')}`));
  t.equal(s.code, '4001', 'VASPID of another VASP: 4001 Improper identification');
  s = await status(SUBMIT(`${SENDER}${TO('12')}`));
  t.equal(s.code, '2002', 'bad recipient number: 2002 Address Error');
  s = await status(SUBMIT(`${SENDER}<Recipients><To><Number displayOnly="true">16172383232</Number></To></Recipients>`));
  t.equal(s.code, '2002', 'only displayOnly recipients: nobody to deliver to');
  s = await status(SUBMIT(`${SENDER}${TO('16172383232')}<ExpiryDate>2001-01-01T00:00:00Z</ExpiryDate>`));
  t.equal(s.code, '4004', 'expiry in the past: 4004 Validation error');
  s = await status('<not-xml');
  t.equal(s.code, '4004', 'not XML: 4004 (the SOAP structure could not be parsed; errors.ts)');
  t.match(s.body, /RSErrorRsp/);
  s = await status(SUBMIT(`${SENDER}`));
  t.equal(s.code, '4004', 'no Recipients: 4004 (a mandatory element is missing)');
  t.match(s.text, /Recipients/);
  s = await status(SUBMIT(`${SENDER}${TO('16172383232')}<DeliveryReport>maybe</DeliveryReport>`));
  t.equal(s.code, '2007', 'a value of the wrong form: 2007 Message format corrupt');
  t.match(s.text, /DeliveryReport/);
  s = await status(SUBMIT(`${SENDER}${TO('16172383232')}`).replace('<MM7Version>6.8.0</MM7Version>', '<MM7Version>9.1.0</MM7Version>'));
  t.equal(s.code, '4002', 'an MM7Version outside 5.x.y / 6.x.y: 4002 Unsupported version');
  s = await status(SUBMIT(`${SENDER}${TO('16172383232')}`, 'tx-ns', 'urn:example:not-mm7'));
  t.equal(s.code, '4002', 'a namespace that is not an MM7 schema: 4002');
  s = await status(
    SUBMIT(`${SENDER}${TO('16172383232')}`, 'tx-5', 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2'),
  );
  t.equal(s.code, '1000', 'a REL-5 namespace is accepted');
  t.match(s.body, /REL-5-MM7-1-2/, 'and answered in it');
  const text = await metrics.registry.metrics();
  t.match(text, /mmsc_mm7_requests_total\{operation="SubmitReq",status="1000",service="mmsc"\} 2/);
  t.match(text, /mmsc_mm7_requests_total\{operation="SubmitReq",status="2001",service="mmsc"\} 1/);
});

t.test('recipients per SubmitReq are capped by mm7.maxRecipients: 3003 over it, displayOnly ones not counted', async (t) => {
  const { url, queue } = await start(t, { maxRecipients: 2 });
  const doc = { 'content-type': 'text/xml; charset=utf-8', authorization: basic('doc', 'pw-doc') };
  const answer = async (recipients: string, tx: string) => {
    const r = await post(url, SUBMIT(`${SENDER}<Recipients>${recipients}</Recipients>`, tx), doc);
    t.equal(r.status, 200, `${tx}: HTTP 200 (SOAP)`);
    return { code: field(r.body, 'StatusCode'), text: field(r.body, 'StatusText') ?? '', messageId: field(r.body, 'MessageID') };
  };
  const over = await answer(
    '<To><Number>16172383231</Number><Number>16172383232</Number></To><Cc><Number>16172383233</Number></Cc>',
    'tx-cap3',
  );
  t.equal(over.code, '3003', 'To + Cc = 3 > 2: 3003 Multiple addresses not supported');
  t.match(over.text, /3 recipients: more than the 2 allowed/, 'the StatusText names the limit');
  t.equal(over.messageId, undefined, 'no MessageID');
  t.equal((await queue.stats()).waiting, 0, 'nothing queued');
  const two = await answer(
    '<To><Number>16172383231</Number></To><Bcc><Number>16172383233</Number></Bcc><Cc><Number displayOnly="true">16172383234</Number></Cc>',
    'tx-cap2',
  );
  t.equal(two.code, '1000', 'two to deliver to (and one displayOnly): accepted');
  t.equal((await queue.stats()).waiting, 2);
});

t.test("over the VASP's submission rate: 4006, with the wait in the StatusText", async (t) => {
  const { url, queue } = await start(t, {
    vasps: [...VASPS, vasp({ id: 'slow', username: 'slow', password: 'pw-slow', senders: ['111122'], rate: 1, burst: 1 })],
  });
  const headers = { 'content-type': 'text/xml; charset=utf-8', authorization: basic('slow', 'pw-slow') };
  const xml = SUBMIT(
    `<SenderIdentification><VASPID>slow</VASPID><SenderAddress><ShortCode>111122</ShortCode></SenderAddress></SenderIdentification>${TO('16172383232')}`,
  );
  const first = await post(url, xml, headers);
  t.equal(field(first.body, 'StatusCode'), '1000', 'the first of a burst of 1');
  const second = await post(url, xml, headers);
  t.equal(second.status, 200, 'SOAP, HTTP 200');
  t.equal(field(second.body, 'StatusCode'), '4006', 'the second at once: 4006 Service unavailable');
  t.match(field(second.body, 'StatusText'), /throughput limit of VASP slow reached: retry in \d+ ms/);
  t.equal(field(second.body, 'MessageID'), undefined, 'no MessageID');
  t.equal((await queue.stats()).waiting, 1, 'only the first was queued');
});

t.test('size limits: the VASP limit answers 2004, the body limit cuts the upload', async (t) => {
  const { url } = await start(t, { maxBodyBytes: 64 * 1024 });
  const boundary = 'b0undary';
  const envelope = SUBMIT(`${SENDER.replace('skfdjslkjfdslkfj434das', 'small')}${TO('16172383232')}<Content href="cid:pic"/>`);
  const multipart = (payload: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${envelope}\r\n--${boundary}\r\nContent-Type: image/jpeg\r\nContent-ID: <pic>\r\nContent-Transfer-Encoding: binary\r\n\r\n`,
      ),
      payload,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  const headers = {
    'content-type': `multipart/related; boundary="${boundary}"; type="text/xml"; start="<env>"`,
    authorization: basic('small', 'pw-small'),
  };
  let r = await post(url, multipart(Buffer.alloc(10, 1)), headers);
  t.equal(field(r.body, 'StatusCode'), '1000', `10 bytes fit the 20-byte VASP limit (${field(r.body, 'StatusText')})`);
  r = await post(url, multipart(Buffer.alloc(21, 1)), headers);
  t.equal(field(r.body, 'StatusCode'), '2004', '21 bytes: 2004');
  t.match(field(r.body, 'StatusText'), /21 bytes.*20 bytes/);
  r = await post(url, multipart(Buffer.alloc(200 * 1024, 1)), headers);
  t.equal(r.status, 200);
  t.equal(field(r.body, 'StatusCode'), '2004', 'over the body limit: refused with the size status');
  t.equal(r.headers.connection, 'close', 'and the connection closed');
});

t.test('HTTP-level refusals are for requests that are not SOAP', async (t) => {
  const { url } = await start(t);
  const xml = SUBMIT(`${SENDER}${TO('16172383232')}`);
  let r = await post(url, xml, { 'content-type': 'text/xml' });
  t.equal(r.status, 401, 'no credentials');
  t.match(r.headers['www-authenticate'], /^Basic/);
  r = await post(url, xml, { 'content-type': 'text/xml', authorization: basic('doc', 'wrong') });
  t.equal(r.status, 401, 'wrong password');
  r = await post(url, xml, { 'content-type': 'text/xml', authorization: basic('fenced', 'pw-fenced') });
  t.equal(r.status, 403, 'source address not in the allow-list');
  r = await post(url, xml, { 'content-type': 'application/json', authorization: basic('doc', 'pw-doc') });
  t.equal(r.status, 415, 'not a SOAP media type');
  r = await post(url, '', { authorization: basic('doc', 'pw-doc') }, 'GET');
  t.equal(r.status, 405, 'GET');
});

t.test('a slow sender is cut off by the request timeout', async (t) => {
  const { url } = await start(t, { requestTimeoutMs: 300, headersTimeoutMs: 300 });
  const u = new URL(url);
  const { connect } = await import('node:net');
  const sock = connect(Number(u.port), u.hostname);
  sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n'); // never finishes the head
  let got = '';
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    sock.on('close', () => (clearTimeout(timer), resolve(true)));
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => (got += d.toString())); // read, so that 'close' can follow the end
  });
  t.ok(closed, 'the server closed the connection');
  t.match(got, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout');
});

t.test('a store that cannot take the message: 3001, nothing accepted', async (t) => {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS } }).mm7;
  const store = createMemoryStore();
  const down = () => Promise.reject(new Error('ECONNREFUSED'));
  const queue = Object.assign(Object.create(store.queue) as typeof store.queue, { enqueue: down });
  for (const throttle of [store.throttle, Object.assign(Object.create(store.throttle) as typeof store.throttle, { acquire: down })]) {
    const server = new Mm7Server({
      config,
      queue,
      throttle,
      router: new StaticRouter(),
      metrics: new Metrics(),
      log: pino({ level: 'silent' }),
    });
    const url = await server.listen('127.0.0.1', 0);
    const r = await post(url, SUBMIT(`${SENDER}${TO('16172383232')}`), {
      'content-type': 'text/xml',
      authorization: basic('doc', 'pw-doc'),
    });
    t.equal(r.status, 200);
    t.equal(field(r.body, 'StatusCode'), '3001', `${throttle === store.throttle ? 'enqueue' : 'throttle'} failing: 3001 Not possible`);
    t.equal(field(r.body, 'MessageID'), undefined, 'no MessageID');
    await server.close();
  }
});

t.test('a full embedded store: 3001 Not possible, as for a full Redis; 1000 again once its jobs are delivered', async (t) => {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS } }).mm7;
  const store = createMemoryStore({ limits: { maxMessages: 2 } });
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  const headers = { 'content-type': 'text/xml', authorization: basic('doc', 'pw-doc') };
  const submit = async (tx: string) => {
    const r = await post(url, SUBMIT(`${SENDER}${TO('16172383232')}`, tx), headers);
    t.equal(r.status, 200, `${tx}: HTTP 200 (SOAP)`);
    return { code: field(r.body, 'StatusCode'), text: field(r.body, 'StatusText'), messageId: field(r.body, 'MessageID') };
  };
  t.equal((await submit('tx-f1')).code, '1000');
  t.equal((await submit('tx-f2')).code, '1000');
  const full = await submit('tx-f3');
  t.equal(full.code, '3001', 'the third: 3001 Not possible (try later)');
  t.match(full.text, /retry later/);
  t.equal(full.messageId, undefined, 'no MessageID');
  t.equal((await store.queue.stats()).waiting, 2, 'the two accepted are queued');

  const jobs = await store.queue.take(10);
  t.equal(jobs.length, 2, 'jobs are taken from the full store');
  for (const job of jobs) await store.queue.ack(job, 'delivered');
  const again = await submit('tx-f4');
  t.equal(again.code, '1000', 'accepted again once they are delivered');
  t.ok(again.messageId, 'with a MessageID');
});

t.test('a full embedded store while content streams in: 3001, and what was staged is let go', async (t) => {
  const config = ConfigSchema.parse({
    mm7: {
      port: 0,
      vasps: [...VASPS, vasp({ id: 'big', username: 'big', password: 'pw-big', senders: ['111122'], maxMessageBytes: 8 * 1024 * 1024 })],
    },
  }).mm7;
  const store = createMemoryStore({ limits: { maxBytes: 1024 * 1024 } });
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  const send = async (bytes: number) => {
    const req = mm7SubmitReq({
      vasp: 'big',
      shortCode: '111122',
      to: ['16172383232'],
      parts: [{ type: 'image/jpeg', name: 'pic.jpg', body: Buffer.alloc(bytes, 0x33) }],
    });
    const r = await post(url, req.body, { 'content-type': req.contentType, authorization: basic('big', 'pw-big') });
    return field(r.body, 'StatusCode');
  };
  t.equal(await send(2 * 1024 * 1024), '3001', 'a 2 MB picture into a 1 MiB store: 3001 Not possible (try later)');
  t.ok(store.queue.usage().bytes < 512 * 1024, `nothing of it is held (${store.queue.usage().bytes} bytes)`);
  t.equal(await send(200 * 1024), '1000', 'a 200 KB one fits');
});

const OP = (op: 'CancelReq' | 'ReplaceReq', inner: string, vaspId = 'skfdjslkjfdslkfj434das') =>
  `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
  `<m:TransactionID xmlns:m="${NS6}">tx-op</m:TransactionID></soap:Header><soap:Body>` +
  `<m:${op} xmlns:m="${NS6}"><m:MM7Version>6.8.0</m:MM7Version><m:SenderIdentification><m:VASPID>${vaspId}</m:VASPID></m:SenderIdentification>${inner}</m:${op}></soap:Body></soap:Envelope>`;

t.test('CancelReq: pending recipients are cancelled; 2005 for unknown or foreign ids; 3001 when too late', async (t) => {
  const { url, queue } = await start(t);
  const doc = { 'content-type': 'text/xml; charset=utf-8', authorization: basic('doc', 'pw-doc') };
  const answer = async (xml: string, headers = doc) => {
    const r = await post(url, xml, headers);
    t.equal(r.status, 200);
    return { code: field(r.body, 'StatusCode'), text: field(r.body, 'StatusText') ?? '', body: r.body };
  };
  const sub = await answer(SUBMIT(`${SENDER}<Recipients><To><Number>16172383232</Number><Number>16172383233</Number></To></Recipients>`));
  const id = field(sub.body, 'MessageID')!;
  t.equal(sub.code, '1000');

  let a = await answer(OP('CancelReq', `<m:MessageID>${id}</m:MessageID>`).replace('skfdjslkjfdslkfj434das', 'VASP01'), {
    ...doc,
    authorization: basic('mmsgw', 'pw-mmsgw'),
  });
  t.equal(a.code, '2005', 'another VASP cannot cancel it: 2005 Message ID Not found');
  t.strictSame(await queue.states(id), ['queued', 'queued'], 'and nothing changed');
  a = await answer(OP('CancelReq', `<m:MessageID>${id}</m:MessageID>`));
  t.equal(a.code, '1000', `cancelled (${a.text})`);
  t.match(a.body, /CancelRsp/);
  t.strictSame(await queue.states(id), ['cancelled', 'cancelled']);
  a = await answer(OP('CancelReq', `<m:MessageID>${id}</m:MessageID>`));
  t.equal(a.code, '3001', 'nothing left to cancel: 3001 Not possible');
  a = await answer(OP('CancelReq', '<m:MessageID>no-such-id</m:MessageID>'));
  t.equal(a.code, '2005', 'unknown id: 2005');
  a = await answer(OP('CancelReq', `<m:MessageID>${id}</m:MessageID>`, 'someone-else'));
  t.equal(a.code, '4001', 'VASPID of another VASP: 4001');
});

t.test('ReplaceReq: new content before delivery; 3001 once it is being delivered', async (t) => {
  const { url, queue } = await start(t);
  const boundary = 'rb0und';
  const doc = { 'content-type': 'text/xml; charset=utf-8', authorization: basic('doc', 'pw-doc') };
  const sub = await post(
    url,
    SUBMIT(`${SENDER}${TO('16172383232')}<ServiceCode>old</ServiceCode><EarliestDeliveryTime>P1D</EarliestDeliveryTime>`),
    doc,
  );
  const id = field(sub.body, 'MessageID')!;
  t.ok(id, 'submitted for tomorrow');
  const envelope = OP(
    'ReplaceReq',
    `<m:MessageID>${id}</m:MessageID><m:ServiceCode>new</m:ServiceCode><m:EarliestDeliveryTime>PT1S</m:EarliestDeliveryTime><m:Content href="cid:new-text"/>`,
  );
  const body =
    `--${boundary}\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${envelope}\r\n` +
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-ID: <new-text>\r\n\r\nthe new text\r\n--${boundary}--\r\n`;
  const headers = {
    'content-type': `multipart/related; boundary="${boundary}"; type="text/xml"; start="<env>"`,
    authorization: basic('doc', 'pw-doc'),
  };
  let r = await post(url, body, headers);
  t.equal(field(r.body, 'StatusCode'), '1000', `replaced (${field(r.body, 'StatusText')})`);
  t.match(r.body, /ReplaceRsp/);
  const m = await queue.message(id);
  t.equal(m?.service?.serviceCode, 'new');
  t.equal(m?.contentType, 'text/plain');
  t.strictSame(
    (await queue.content(id))?.map((b) => b.toString()),
    ['the new text'],
  );
  t.ok(m?.earliestDeliveryAt !== undefined && m.earliestDeliveryAt < Date.now() + 5_000, 'delivery moved to in a second');
  await new Promise((res) => setTimeout(res, 1_100));
  const jobs = await queue.take(10);
  t.equal(jobs.length, 1, 'due at the new time');
  r = await post(url, body, headers);
  t.equal(field(r.body, 'StatusCode'), '3001', 'being delivered: 3001 Not possible');
  r = await post(url, OP('ReplaceReq', '<m:MessageID>nope</m:MessageID>'), doc);
  t.equal(field(r.body, 'StatusCode'), '2005', 'unknown id: 2005');
});

// ---- Hostile input: each gets a SOAP answer with a client-error status (or a cut connection), never a
// crash, a hang or a buffer that grows with the attack.

const MULTI = (boundary: string, start: string) => ({
  'content-type': `multipart/related; boundary="${boundary}"; type="text/xml"; start="${start}"`,
  authorization: basic('doc', 'pw-doc'),
});

t.test('hostile: truncated multipart and a start parameter naming no part', async (t) => {
  const { url, queue } = await start(t);
  const envelope = SUBMIT(`${SENDER}${TO('16172383232')}<Content href="cid:pic"/>`);
  const truncated = `--bx\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${envelope}\r\n--bx\r\nContent-Type: image/jpeg\r\nContent-ID: <pic>\r\n\r\nJFIF-and-then-noth`;
  let r = await post(url, truncated, MULTI('bx', '<env>'));
  t.equal(r.status, 200);
  t.equal(field(r.body, 'StatusCode'), '2007', 'truncated multipart (no close delimiter): 2007 Message format corrupt');
  t.match(field(r.body, 'StatusText'), /malformed MIME/);
  const whole = `--bx\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${envelope}\r\n--bx\r\nContent-Type: image/jpeg\r\nContent-ID: <pic>\r\n\r\nJFIF\r\n--bx--\r\n`;
  r = await post(
    url,
    whole.replace(/^--bx\r\nContent-Type: text\/xml\r\nContent-ID: <env>\r\n\r\n[\s\S]*?\r\n(?=--bx\r\n)/, ''),
    MULTI('bx', '<env>'),
  );
  t.equal(field(r.body, 'StatusCode'), '2007', 'the SOAP part that start names is missing: 2007');
  t.match(field(r.body, 'StatusText'), /no SOAP envelope/);
  r = await post(url, `--bx\r\nContent-Type: text/xml\r\n\r\n${envelope}\r\n--by--\r\n`, MULTI('bx', '<env>'));
  t.equal(field(r.body, 'StatusCode'), '2007', 'wrong closing boundary: 2007');
  t.equal((await queue.stats()).waiting, 0, 'nothing was queued');
  // Liberal: a start that names no part falls back to the first part (RFC 2387's default) when it is XML.
  r = await post(url, whole, MULTI('bx', '<not-there>'));
  t.equal(field(r.body, 'StatusCode'), '1000', 'start naming nothing, the first part is the envelope: accepted');
});

t.test('hostile: billion laughs (entity expansion) is refused without expanding', async (t) => {
  const { url } = await start(t);
  const lol = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE lolz [<!ENTITY lol "lol">',
    ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
    ']>',
  ].join('\n');
  const xml = lol + SUBMIT(`${SENDER}${TO('16172383232')}<Subject>&lol9;</Subject>`).replace('<?xml version="1.0"?>', '');
  const before = process.memoryUsage().heapUsed;
  const r = await post(url, xml, { 'content-type': 'text/xml', authorization: basic('doc', 'pw-doc') });
  t.equal(r.status, 200);
  t.equal(field(r.body, 'StatusCode'), '4004', 'a DOCTYPE is refused: 4004 Validation error');
  t.match(field(r.body, 'StatusText'), /DOCTYPE/i);
  t.ok(r.body.length < 4096, 'the answer does not carry an expansion');
  t.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'no gigabyte of laughs in memory');
});

t.test('hostile: a 50 MB body against a 1 MB limit is cut off while streaming; memory stays flat', async (t) => {
  const { url, queue } = await start(t, { maxBodyBytes: 1024 * 1024 });
  const u = new URL(url);
  const { connect } = await import('node:net');
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const total = 50 * 1024 * 1024;
  const head =
    `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('doc', 'pw-doc')}\r\nTransfer-Encoding: chunked\r\n` +
    `Content-Type: multipart/related; boundary="bx"; type="text/xml"; start="<env>"\r\n\r\n`;
  const first = `--bx\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${SUBMIT(`${SENDER}${TO('16172383232')}<Content href="cid:big"/>`)}\r\n--bx\r\nContent-Type: application/octet-stream\r\nContent-ID: <big>\r\n\r\n`;
  global.gc?.();
  const base = process.memoryUsage();
  let peak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (base.heapUsed + base.arrayBuffers));
  }, 5);
  const sock = connect(Number(u.port), u.hostname);
  let answer = '';
  let sent = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    sock.on('close', () => resolve());
    sock.on('error', () => undefined);
  });
  sock.write(head + `${Buffer.byteLength(first).toString(16)}\r\n${first}\r\n`);
  const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  while (sent < total && !sock.destroyed && answer === '') {
    if (!sock.write(frame))
      await new Promise<void>((r) => {
        sock.once('drain', r);
        sock.once('close', r);
      });
    sent += chunk.length;
  }
  const timer = setTimeout(() => sock.destroy(), 10_000);
  if (!sock.destroyed) sock.end();
  await done;
  clearTimeout(timer);
  clearInterval(sampler);
  t.match(answer, /^HTTP\/1\.1 200 /, 'answered');
  t.match(answer, /<(?:\w+:)?StatusCode>2004</, 'with 2004 (content refused: too large)');
  t.match(answer, /connection: close/i, 'and the connection closed');
  t.ok(sent < total, `the upload was cut off: ${(sent / 1048576).toFixed(1)} MB of 50 MB sent`);
  t.ok(peak < 24 * 1024 * 1024, `memory grew by at most ${(peak / 1048576).toFixed(1)} MB (limit 1 MB + buffers)`);
  t.equal((await queue.stats()).waiting, 0, 'nothing was queued');
});

t.test('hostile: a slowloris body (head complete, body a byte at a time) is cut off by the request timeout', async (t) => {
  const { url } = await start(t, { requestTimeoutMs: 400, headersTimeoutMs: 300 });
  const u = new URL(url);
  const { connect } = await import('node:net');
  const sock = connect(Number(u.port), u.hostname);
  sock.on('error', () => undefined);
  sock.write(
    `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('doc', 'pw-doc')}\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<`,
  );
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString()));
  const drip = setInterval(() => !sock.destroyed && sock.write('x'), 50);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    sock.on('close', () => (clearTimeout(timer), resolve(true)));
  });
  clearInterval(drip);
  t.ok(closed, 'the server closed the connection while the body was still trickling in');
  t.match(got, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout');
});
