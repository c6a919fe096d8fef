// Poison input, end to end over loopback on the embedded store: names a client chooses (a REST file name, an
// MM7 attachment's Content-ID and Content-Location, an MM1 part's name and type) that no outbound form could
// carry (a line break, a NUL, a control character, a header-field injection) are made safe at intake, so
// that what was accepted reaches the VASP; and a REST part busboy cannot read is refused, not dropped.
// The VASP receiving DeliverReq is an operator-configured URL on 127.0.0.1; its MIME is split by hand here
// (not by our parser), so that what it sees is what a VASP would see.
import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { decodePdu, encodePdu, type SendReq } from '../../protocols/mms/index.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Gateway } from '../../src/gateway.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { httpRequest } from '../helpers/handset.js';
import { mm7ReplaceReq, mm7SubmitReq } from '../helpers/mm7-request.js';
import { jpegOf, TINY_GIF, TINY_PNG } from '../helpers/media.js';
import { until } from '../helpers/until.js';
import { checkRawAnswer } from '../helpers/openapi-check.js';

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const SOURCE = '7101';
const DEST = '7102';
const HANDSET = '+15550000001';

interface Seen {
  contentType: string;
  body: Buffer;
}

/** The receiving VASP's MM7 endpoint: keeps each request, answers 1000. */
async function vaspServer(t: Test): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ contentType: req.headers['content-type'] ?? '', body });
      const kind = /<(?:\w+:)?(\w+Req)\b/.exec(body.toString('latin1'))?.[1] ?? 'DeliverReq';
      res
        .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
        .end(
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">x</TransactionID></e:Header>` +
            `<e:Body><${kind.replace(/Req$/, 'Rsp')} xmlns="${NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></${kind.replace(/Req$/, 'Rsp')}></e:Body></e:Envelope>`,
        );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mm7`, seen };
}

/** A gateway on the embedded store: VASP `src` submits, VASP `dst` (short code DEST) receives DeliverReq. */
async function gateway(t: Test, dstUrl: string, mm1 = false) {
  const vasp = (id: string, sender: string, extra: Record<string, unknown> = {}) => ({
    id,
    username: id,
    password: `pw-${id}`,
    senders: [sender],
    rate: 1000,
    burst: 1000,
    maxInFlight: 100,
    ...extra,
  });
  const config = ConfigSchema.parse({
    queue: { retryBaseMs: 20, retryMaxMs: 50, maxAttempts: 3 },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [vasp('src', SOURCE), vasp('dst', DEST, { url: dstUrl })] },
    mm1: mm1
      ? { port: 0, maxPushes: 2, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'], submitRate: 0 }
      : { enabled: false },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const at = (iface: string) => listeners.find((l) => l.iface === iface)?.address ?? '';
  return { gw, mm7: at('mm7'), mm1: at('mm1') };
}

/** The parts of a multipart body, split by hand on its boundary: each one's header block and body. */
function partsOf(body: Buffer, contentType: string): { head: string; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)![1]!;
  return body
    .toString('latin1')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => {
      const c = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
      const end = c.indexOf('\r\n\r\n');
      return { head: c.slice(0, end), body: Buffer.from(c.slice(end + 4), 'latin1') };
    });
}

/** The leaf parts of a DeliverReq's content attachment (the part after the SOAP envelope), flattened. */
function contentLeaves(s: Seen): { head: string; body: Buffer }[] {
  const out: { head: string; body: Buffer }[] = [];
  const walk = (p: { head: string; body: Buffer }) => {
    const type = /^content-type:\s*([^\r\n]+)/im.exec(p.head)?.[1] ?? '';
    if (/^multipart\//i.test(type)) for (const q of partsOf(p.body, type)) walk(q);
    else out.push(p);
  };
  for (const p of partsOf(s.body, s.contentType).slice(1)) walk(p);
  return out;
}

/** Header fields of a part's header block, names lower-case (no folding: the builder writes none). */
function fields(head: string): Array<[string, string]> {
  return head.split('\r\n').map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
}

async function finalState(gw: Gateway, id: string): Promise<string | undefined> {
  return until(`a final state of ${id}`, async () => {
    const s = (await gw.store.queue.states(id))?.[0];
    return s === 'delivered' || s === 'failed' || s === 'rejected' || s === 'expired' ? s : undefined;
  });
}

function post(url: string, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/\/$/, '') + path, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          // A REST answer is one the OpenAPI document describes.
          if (path.startsWith('/v1/')) checkRawAnswer('POST', path, res.statusCode!, res.headers, text);
          resolve({ status: res.statusCode!, text });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:pw-${user}`).toString('base64')}` });

/** A multipart/form-data body written by hand: each part is its Content-Disposition (raw), type and bytes. */
function formBody(parts: Array<{ disposition: string | null; type?: string; body: Buffer | string }>): { body: Buffer; type: string } {
  const b = 'form-boundary-31c7';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head =
      (p.disposition !== null ? `Content-Disposition: ${p.disposition}\r\n` : '') + (p.type ? `Content-Type: ${p.type}\r\n` : '');
    chunks.push(Buffer.from(`--${b}\r\n${head}\r\n`, 'latin1'), Buffer.from(p.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${b}` };
}

/** A real JPEG: every part's bytes are checked against its declared type at intake (issue 25). */
const JPEG = jpegOf(506);

t.test('REST: a file name with CR/LF is accepted and delivered to the VASP without the line break', async (t) => {
  const vasp = await vaspServer(t);
  const { gw, mm7 } = await gateway(t, vasp.url);
  const form = formBody([
    { disposition: 'form-data; name="to"', body: DEST },
    // RFC 2231 lets the file name carry any octet: here a CR LF and a header field of its own.
    { disposition: `form-data; name="image"; filename*=utf-8''evil%0D%0AX-Injected%3A%201.jpg`, type: 'image/jpeg', body: JPEG },
    { disposition: `form-data; name="other"; filename*=utf-8''tab%09here%01%7F.png`, type: 'image/png', body: TINY_PNG },
  ]);
  const r = await post(mm7, '/v1/messages', form.body, { 'content-type': form.type, ...auth('src') });
  t.equal(r.status, 202, 'accepted');
  const id = (JSON.parse(r.text) as { messageId: string }).messageId;
  t.equal(await finalState(gw, id), 'delivered', 'delivered, not dead-lettered');
  const s = vasp.seen.find((x) => x.body.includes('DeliverReq'));
  t.ok(s, 'the DeliverReq reached the VASP');
  if (!s) return;
  const leaves = contentLeaves(s);
  t.equal(leaves.length, 2, 'both files');
  const [image, other] = leaves.map((l) => fields(l.head));
  t.same(
    image!.find(([n]) => n === 'content-location'),
    ['content-location', 'evilX-Injected: 1.jpg'],
    'the name without its line break',
  );
  t.notOk(
    image!.some(([n]) => n === 'x-injected'),
    "no header field of the name's making",
  );
  t.same(
    other!.find(([n]) => n === 'content-location'),
    ['content-location', 'tabhere.png'],
    'control characters removed',
  );
  t.ok(Buffer.from(leaves[0]!.body.toString('latin1'), 'base64').equals(JPEG), 'the image bytes as sent');
  t.same(
    (await gw.store.queue.deadLetters(10)).map((d) => d.messageId),
    [],
    'no dead letter',
  );
});

t.test('MM7: an attachment with a hostile Content-ID and Content-Location is delivered, made safe', async (t) => {
  const vasp = await vaspServer(t);
  const { gw, mm7 } = await gateway(t, vasp.url);
  const req = mm7SubmitReq({
    vasp: 'src',
    shortCode: SOURCE,
    to: [DEST],
    subject: 'hostile names',
    parts: [
      // The test helper writes `Content-Location: <name>`: a NUL in the name, then a Content-ID with a bare CR
      // and a control character (MIME header lines end at LF; a lone CR stays in the value).
      { type: 'image/jpeg', name: 'pic\u0000.jpg\r\nContent-ID: <img\r1\u0007@vasp>', body: JPEG },
      { type: "text/plain; charset=utf-8; name*=utf-8''a%00b%0D%0A.txt", name: 'note.txt', body: Buffer.from('hello') },
    ],
  });
  // To the other VASP's short code (the helper writes recipients as <Number>).
  const body = Buffer.from(req.body.toString('latin1').replace(`<Number>${DEST}</Number>`, `<ShortCode>${DEST}</ShortCode>`), 'latin1');
  const r = await post(mm7, '/mm7', body, { 'content-type': req.contentType, ...auth('src') });
  t.match(r.text, /<(\w+:)?StatusCode>1000</, 'SubmitRsp 1000');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(r.text)?.[1] ?? '';
  t.equal(await finalState(gw, id), 'delivered', 'delivered, not dead-lettered');
  const s = vasp.seen.find((x) => x.body.includes('DeliverReq'));
  t.ok(s, 'the DeliverReq reached the VASP');
  if (!s) return;
  const leaves = contentLeaves(s).map((l) => fields(l.head));
  t.same(
    leaves[0]!.find(([n]) => n === 'content-location'),
    ['content-location', 'pic.jpg'],
    'the NUL removed',
  );
  t.same(
    leaves[0]!.find(([n]) => n === 'content-id'),
    ['content-id', '<img1@vasp>'],
    'the CR and BEL removed',
  );
  t.match(
    leaves[1]!.find(([n]) => n === 'content-type')?.[1],
    /^text\/plain; charset=utf-8; name=ab\.txt$/,
    'the name parameter without NUL, CR, LF',
  );
  t.same(
    (await gw.store.queue.deadLetters(10)).map((d) => d.messageId),
    [],
    'no dead letter',
  );
});

t.test("MM7: a ReplaceReq's new content is made safe as a SubmitReq's is", async (t) => {
  // No workers here: the message stays queued, so that it can be replaced.
  const config = ConfigSchema.parse({
    mm7: { port: 0, vasps: [{ id: 'src', username: 'src', password: 'pw-src', senders: [SOURCE] }] },
  }).mm7;
  const store = createMemoryStore();
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
  const submitted = mm7SubmitReq({
    vasp: 'src',
    shortCode: SOURCE,
    to: ['15550000009'],
    parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('one') }],
  });
  const first = await post(url, '/', submitted.body, { 'content-type': submitted.contentType, ...auth('src') });
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(first.text)?.[1] ?? '';
  t.ok(id, 'submitted');
  const replacement = mm7ReplaceReq({
    vasp: 'src',
    messageId: id,
    parts: [{ type: 'image/jpeg', name: 'new\r\u0000.jpg\r\nContent-ID: <n\r1>', body: JPEG }],
  });
  const r = await post(url, '/', replacement.body, { 'content-type': replacement.contentType, ...auth('src') });
  t.match(r.text, /<(\w+:)?StatusCode>1000</, 'ReplaceRsp 1000');
  const m = await store.queue.message(id);
  t.strictSame(
    m?.parts.map((p) => [p.contentType, p.contentLocation, p.contentId]),
    [['image/jpeg', 'new.jpg', '<n1>']],
    "the replacement's names made safe",
  );
});

t.test('MM1: an m-send-req part with a hostile name and type reaches the VASP', async (t) => {
  const vasp = await vaspServer(t);
  const { gw, mm1 } = await gateway(t, vasp.url, true);
  const req: SendReq = {
    messageType: 'm-send-req',
    transactionId: 'tx-poison',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${DEST}/TYPE=PLMN`],
    subject: 'vote\u0001',
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [
      {
        contentType: { mediaType: 'image/jpeg', params: { 'bad name': 'x', name: 'photo\r\n.jpg' } },
        contentLocation: 'a\r\nX-Evil: 1\r\n.jpg',
        contentId: '<p\n1>',
        data: JPEG,
      },
      // A type that is no media type goes out as application/octet-stream: its bytes (a real GIF) tell what it is.
      { contentType: { mediaType: 'image/gif\r\nX-Evil: 2' }, contentLocation: 'b.gif', data: TINY_GIF },
    ],
  };
  const a = await httpRequest(`${mm1}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': HANDSET },
    body: encodePdu(req),
  });
  const conf = decodePdu(a.body);
  t.equal(conf.messageType === 'm-send-conf' && conf.responseStatus, 'Ok', 'm-send-conf Ok');
  const id = conf.messageType === 'm-send-conf' ? (conf.messageId ?? '') : '';
  t.equal(await finalState(gw, id), 'delivered', 'delivered, not dead-lettered');
  const s = vasp.seen.find((x) => x.body.includes('DeliverReq'));
  t.ok(s, 'the DeliverReq reached the VASP');
  if (!s) return;
  const text = s.body.toString('latin1');
  t.notMatch(text, /^X-Evil/im, "no header field of the names' making");
  t.match(text, /<(\w+:)?Subject>vote</, 'the subject without its control character');
  const leaves = contentLeaves(s).map((l) => fields(l.head));
  t.same(
    leaves[0]!.find(([n]) => n === 'content-location'),
    ['content-location', 'aX-Evil: 1.jpg'],
  );
  t.same(
    leaves[0]!.find(([n]) => n === 'content-id'),
    ['content-id', '<p1>'],
  );
  t.equal(
    leaves[0]!.find(([n]) => n === 'content-type')?.[1],
    'image/jpeg; name=photo.jpg',
    'the parameter with a space in its name dropped, the name cleaned',
  );
  t.equal(leaves[1]!.find(([n]) => n === 'content-type')?.[1], 'application/octet-stream', 'a type that is not a media type');
});

t.test('REST: a part busboy cannot read refuses the submission (400, with why); well-formed file names are kept', async (t) => {
  const vasp = await vaspServer(t);
  const { gw, mm7 } = await gateway(t, vasp.url);
  const submit = (disposition: string | null, type = 'image/jpeg') => {
    const form = formBody([
      { disposition: 'form-data; name="to"', body: DEST },
      { disposition: 'form-data; name="text"', body: 'see the picture' },
      { disposition, type, body: JPEG },
    ]);
    return post(mm7, '/v1/messages', form.body, { 'content-type': form.type, ...auth('src') });
  };
  const refused: Array<[string, string | null, string?]> = [
    ['an unknown charset', `form-data; name="image"; filename*=x-unknown-8''abc.jpg`],
    ['an empty charset', `form-data; name="image"; filename*=''abc.jpg`],
    ['bad percent-encoding', `form-data; name="image"; filename*=utf-8''%ZZabc.jpg`],
    ['a truncated %XX', `form-data; name="image"; filename*=utf-8''abc%E`],
    ['one quote only', `form-data; name="image"; filename*=utf-8'abc.jpg`],
    ['no quotes at all', `form-data; name="image"; filename*=abc.jpg`],
    ['a good filename beside a bad filename*', `form-data; name="image"; filename="abc.jpg"; filename*=utf-8''%ZZ`],
    ['RFC 2231 continuations (filename*0*, filename*1)', `form-data; name="image"; filename*0*=utf-8''ab; filename*1=c.jpg`],
    ['a trailing ";"', 'form-data; name="image"; filename="abc.jpg";'],
    ['a disposition other than form-data', 'attachment; name="image"; filename="abc.jpg"'],
    ['no Content-Disposition', null],
    ['a field without a name', 'form-data', 'text/plain'],
    ['an empty file name', 'form-data; name="image"; filename=""'],
  ];
  for (const [what, disposition, type] of refused) {
    const r = await submit(disposition, type);
    t.equal(r.status, 400, `${what}: 400`);
    const err = (JSON.parse(r.text) as { error?: { code: string; message: string } }).error;
    t.equal(err?.code, 'BAD_REQUEST', `${what}: BAD_REQUEST`);
    t.match(err?.message, /malformed multipart request: .*(could not be read|no name|no file name)/, `${what}: says why (${err?.message})`);
  }

  const kept: Array<[string, string, string]> = [
    ['UTF-8 filename*', `form-data; name="image"; filename*=utf-8''caf%C3%A9.jpg`, 'café.jpg'],
    ['UTF-8 filename* in upper case, with a language', `form-data; name="image"; filename*=UTF-8'en'%E2%82%AC%20rates.jpg`, '€ rates.jpg'],
    ['ISO-8859-1 filename*', `form-data; name="image"; filename*=iso-8859-1''caf%E9.jpg`, 'café.jpg'],
    ['filename* wins over filename', `form-data; name="image"; filename="cafe.jpg"; filename*=utf-8''caf%C3%A9.jpg`, 'café.jpg'],
    ['a plain quoted filename', 'form-data; name="image"; filename="photo 1.jpg"', 'photo 1.jpg'],
    ['an unquoted filename', 'form-data; name=image; filename=photo.jpg', 'photo.jpg'],
  ];
  for (const [what, disposition, name] of kept) {
    const r = await submit(disposition);
    t.equal(r.status, 202, `${what}: 202`);
    const m = await gw.store.queue.message((JSON.parse(r.text) as { messageId: string }).messageId);
    t.strictSame(
      m?.parts.map((p) => p.contentLocation),
      [undefined, name],
      `${what}: kept as ${name}`,
    );
  }
});
