// Who the MM1 listener believes: the subscriber header only from the operator's WAP gateways
// (mm1.trustedProxies), read in the format the gateway writes (mm1.msisdnFormat), every 403 logged with its
// reason; the web view on a listener of its own, needing neither. Over loopback only: "untrusted" is a
// client on 127.0.0.1 when only 127.0.0.2 (the stand-in WAP gateway, bound with localAddress) is trusted.
import { jpegOf } from '../helpers/media.js';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { decodePdu, encodePdu, type MmsPdu, type SendReq } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { NumberPlan, type MsisdnFormat } from '../../src/mm1/numbers.js';
import { RefusalLog } from '../../src/mm1/refusal-log.js';
import { CidrList } from '../../src/transport/ip-ranges.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { freePort } from '../helpers/free-port.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { testPrefix } from '../helpers/redis.js';
import { startSmsc, type SmscOptions } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';
const PUBLIC = 'http://mmsc.operator.test/mms';
/** The stand-in WAP gateway's address; clients without localAddress connect from 127.0.0.1. */
const GATEWAY = '127.0.0.2';
const MMS = 'application/vnd.wap.mms-message';
/** A real JPEG (every part's bytes are checked against its type at intake), 2000 bytes long. */
const IMAGE = jpegOf(2000);
const REFUSED = 'mm1 request refused: no subscriber';

type LogLine = Record<string, unknown>;

async function setup(t: Test, mm1: Record<string, unknown> = {}, smscOptions: Partial<SmscOptions> = {}) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', ...smscOptions });
  t.teardown(() => smsc.stop());
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const config = ConfigSchema.parse({
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { port: 0, publicUrl: PUBLIC, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'], ...mm1 },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const gw = new Gateway(config, log);
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm1Url = listeners.find((l) => l.iface === 'mm1')!.address;
  return { smsc, gw, listeners, mm1Url, refusals: () => lines.filter((l) => l.msg === REFUSED) };
}

function sendReq(to: string[]): SendReq {
  return {
    messageType: 'm-send-req',
    transactionId: 'tx-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: to.map((n) => `${n}/TYPE=PLMN`),
    subject: 'Trust',
    deliveryReport: 'No',
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [
      { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 't.txt', data: Buffer.from('hello') },
      { contentType: { mediaType: 'image/jpeg' }, contentLocation: 'pic.jpg', data: IMAGE },
    ],
  };
}

/** An MM1 request as a client sends it: header value (or none), from 127.0.0.1 or the given local address. */
async function mm1(url: string, o: { pdu?: MmsPdu; msisdn?: string; from?: string }): Promise<{ status: number; pdu?: MmsPdu }> {
  const headers: Record<string, string> = o.msisdn !== undefined ? { 'x-msisdn': o.msisdn } : {};
  const a = await httpRequest(url, {
    method: o.pdu ? 'POST' : 'GET',
    headers: o.pdu ? { ...headers, 'content-type': MMS } : headers,
    ...(o.pdu ? { body: encodePdu(o.pdu) } : {}),
    ...(o.from !== undefined ? { localAddress: o.from } : {}),
  });
  return { status: a.status, ...(a.headers['content-type'] === MMS && a.body.length > 0 ? { pdu: decodePdu(a.body) } : {}) };
}

t.test('CidrList: IPv4 and IPv6 blocks, single addresses, IPv4-mapped IPv6 sources, zone ids', async (t) => {
  // Checked as a function: none of these addresses is connected to.
  const list = new CidrList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1/128', '::ffff:198.51.100.0/120']);
  const rows: Array<[string | undefined, boolean]> = [
    ['10.1.2.3', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['::ffff:10.1.2.3', true], // a dual-stack socket's form of an IPv4 source
    ['::ffff:a01:203', true], // the same, in hex
    ['::ffff:11.0.0.1', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['::2', false],
    ['198.51.100.9', true], // an IPv4-mapped IPv6 block matches the IPv4 source too
    ['198.51.101.9', false],
    ['fe80::1%eth0', false],
    ['', false],
    ['not-an-address', false],
    [undefined, false],
  ];
  for (const [address, expected] of rows) t.equal(list.has(address), expected, String(address));
  const scoped = new CidrList(['fe80::/10']);
  t.equal(scoped.has('fe80::1%eth0'), true, 'the zone id is not part of the address');
  t.throws(() => new CidrList(['10.0.0.0/33']), RangeError);
});

t.test('NumberPlan.subscriber: the header in each format, and why it names no subscriber', async (t) => {
  const plan = (msisdnFormat: MsisdnFormat) =>
    new NumberPlan({ localPrefixes: ['+1555', '+4477'], defaultCountryCode: '44', msisdnFormat });
  const rows: Array<[MsisdnFormat, string | undefined, string]> = [
    ['e164', '+15551234567', '+15551234567'],
    ['e164', ' +1 555 123 4567 ', '+15551234567'],
    ['e164', '15551234567', 'unparseable'],
    ['e164', '07700900123', 'unparseable'],
    ['e164', '+442071234567', 'not-local'],
    ['e164', undefined, 'missing'],
    ['e164', '', 'missing'],
    ['e164', '+15551234567, +15550000000', 'unparseable'],
    ['e164', '+1555abc', 'unparseable'],
    ['e164', `+${'1'.repeat(45)}`, 'unparseable'],
    ['international', '15551234567', '+15551234567'],
    ['international', '+15551234567', '+15551234567'],
    ['international', '447700900123', '+447700900123'],
    ['international', '0015551234567', 'unparseable'],
    ['international', '442071234567', 'not-local'],
    ['national', '07700900123', '+447700900123'],
    ['national', '+15551234567', '+15551234567'],
    ['national', '7700900123', 'unparseable'],
  ];
  for (const [format, value, expected] of rows) {
    const r = plan(format).subscriber(value);
    t.equal('subscriber' in r ? r.subscriber : r.refused, expected, `${format} ${JSON.stringify(value)}`);
  }
  const r = plan('e164').subscriber('15551234567');
  t.match('detail' in r ? r.detail : '', /no "\+".*international/, 'the reason points at the format');
});

t.test(
  'a subscriber header from an untrusted source is refused: retrieval, m-send-req, acknowledgement; trusted, each works',
  async (t) => {
    const { smsc, gw, mm1Url, refusals } = await setup(t, { trustedProxies: [`${GATEWAY}/32`] });
    const b = new Handset(B, mm1Url);

    const sent = await mm1(`${mm1Url}/`, { pdu: sendReq([B]), msisdn: A, from: GATEWAY });
    t.equal(sent.pdu?.responseStatus, 'Ok', 'through the trusted gateway: accepted');
    const messageId = sent.pdu?.messageId as string;
    const [n] = await until('the notification to B', () => {
      const found = b
        .pushes(smsc)
        .filter((p): p is Extract<MmsPdu, { messageType: 'm-notification-ind' }> => p.messageType === 'm-notification-ind');
      return found.length > 0 ? found : undefined;
    });
    const retrievePath = `${mm1Url}${new URL(n!.contentLocation).pathname.slice(new URL(PUBLIC).pathname.length)}`;
    const ack: MmsPdu = { messageType: 'm-acknowledge-ind', transactionId: n!.transactionId, mmsVersion: '1.2' };

    // The same requests from 127.0.0.1, naming the right subscribers: a spoofer who can reach the port.
    const spoofGet = await mm1(retrievePath, { msisdn: B });
    t.equal(spoofGet.status, 403, 'retrieval refused');
    t.equal(spoofGet.pdu?.retrieveStatus, 'Error-permanent-service-denied');
    t.equal(spoofGet.pdu?.parts, undefined, 'no content');
    const spoofSend = await mm1(`${mm1Url}/`, { pdu: sendReq([B]), msisdn: A });
    t.equal(spoofSend.status, 403, 'm-send-req refused');
    t.equal(spoofSend.pdu?.responseStatus, 'Error-service-denied');
    const spoofAck = await mm1(`${mm1Url}/`, { pdu: ack, msisdn: B });
    t.equal(spoofAck.status, 403, 'acknowledgement refused');
    t.same(await gw.store.queue.states(messageId), ['notified'], 'the copy still waits for its recipient');
    t.equal(
      (await mm1(`${mm1Url}/r/garbage`, { msisdn: B })).status,
      403,
      'an untrusted source learns nothing, not even whether a token is valid',
    );

    const logged = refusals();
    t.equal(logged.length, 1, 'the first refusal logged; the next ones from the source within the minute only counted');
    t.match(logged[0], { level: 40, reason: 'untrusted-source', from: '127.0.0.1', header: 'x-msisdn' });
    t.notOk(JSON.stringify(logged).includes(B.slice(1)), "the header's value is not logged");

    const got = await mm1(retrievePath, { msisdn: B, from: GATEWAY });
    t.equal(got.status, 200, 'retrieval through the gateway');
    t.equal(got.pdu?.messageId, messageId);
    t.equal((await mm1(`${mm1Url}/`, { pdu: ack, msisdn: B, from: GATEWAY })).status, 204, 'acknowledgement through the gateway');
    t.same(await gw.store.queue.states(messageId), ['delivered']);
  },
);

t.test('a scanner from an untrusted source: every request refused 403 and counted, one warn line per source a minute', async (t) => {
  const { gw, mm1Url, refusals } = await setup(t, { trustedProxies: [`${GATEWAY}/32`] });
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await mm1(`${mm1Url}/`, {})).status);
  t.same(
    statuses,
    Array.from({ length: 50 }, () => 403),
    '50 requests, 50 refusals',
  );
  const metric = await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_requests_total');
  t.match(metric, /pdu="http",status="403"[^\n]* 50$/m, 'each one counted');
  t.equal(refusals().length, 1, 'one warn line');
  t.match(refusals()[0], { level: 40, reason: 'untrusted-source', from: '127.0.0.1' });
  t.notOk('suppressed' in refusals()[0]!, 'the first line of a source has nothing suppressed before it');

  // Another source (127.0.0.3 is on loopback, and untrusted too): a line of its own.
  t.equal((await mm1(`${mm1Url}/`, { from: '127.0.0.3' })).status, 403);
  t.equal(refusals().length, 2);
  t.match(refusals()[1], { level: 40, reason: 'untrusted-source', from: '127.0.0.3' });
});

t.test('RefusalLog: one line per source per window, the refusals between in the next line; at most maxSources remembered', async (t) => {
  const clock = { now: 0 };
  const log = new RefusalLog({ windowMs: 60_000, maxSources: 3, now: () => clock.now });
  t.same(log.note('a'), { suppressed: 0 }, 'the first refusal of a source is logged');
  for (let i = 0; i < 5; i++) t.equal(log.note('a'), undefined, 'the next ones within the window are not');
  t.same(log.note('b'), { suppressed: 0 }, 'another source has a line of its own');
  clock.now = 59_999;
  t.equal(log.note('a'), undefined, 'still within the window');
  clock.now = 60_000;
  t.same(log.note('a'), { suppressed: 6 }, 'a window later: logged, with the six refusals not logged');
  t.equal(log.note('a'), undefined, 'and a new window starts');
  t.same(log.note('c'), { suppressed: 0 });
  t.same(log.note('d'), { suppressed: 0 }, 'a fourth source');
  t.equal(log.size, 3, 'three sources remembered');
  t.same(log.note('b'), { suppressed: 0 }, 'b, the oldest line, was forgotten: logged at once');
  t.equal(log.size, 3);
  t.equal(log.note('d'), undefined, 'd is still remembered');
  t.same(log.note('a'), { suppressed: 0 }, 'a, then the oldest line, was forgotten in turn (its one count with it)');
});

t.test('a dual-stack listener reports IPv4 sources as ::ffff:a.b.c.d: an IPv4 block matches them', async (t) => {
  const { mm1Url, refusals } = await setup(t, { host: '::ffff:127.0.0.1', trustedProxies: [`${GATEWAY}/32`] });
  t.match(mm1Url, /^http:\/\/\[::ffff:127\.0\.0\.1\]:\d+$/, 'an IPv6 socket, reached over IPv4 loopback');
  const url = `http://127.0.0.1:${new URL(mm1Url).port}/`;
  const trusted = await mm1(url, { pdu: sendReq([B]), msisdn: A, from: GATEWAY });
  t.equal(trusted.pdu?.responseStatus, 'Ok', '::ffff:127.0.0.2 is in 127.0.0.2/32');
  const spoofed = await mm1(url, { pdu: sendReq([B]), msisdn: A });
  t.equal(spoofed.status, 403, '::ffff:127.0.0.1 is not');
  t.match(refusals(), [{ reason: 'untrusted-source', from: '::ffff:127.0.0.1' }]);
});

t.test('the web view on its own listener: the SMS link points at it, it needs no header; publicUrl follows mm1.port', async (t) => {
  const [mm1Port, webPort] = [await freePort(), await freePort()];
  const { smsc, gw, listeners, mm1Url } = await setup(
    t,
    // No publicUrl, no webViewPublicUrl: both derived from the listeners' host and port.
    { port: mm1Port, publicUrl: undefined, webViewPort: webPort, fallbackAfterMs: 60_000, trustedProxies: [`${GATEWAY}/32`] },
    // The SMSC refuses binary pushes to C for good: C gets the SMS fallback at once.
    { statusFor: (s) => (s.destinationAddr === C.slice(1) && s.dataCoding === 0x04 ? 0x0b : 0) },
  );
  const webUrl = `http://127.0.0.1:${webPort}`;
  t.same(
    listeners.find((l) => l.iface === 'web'),
    { iface: 'web', address: webUrl },
    'a listener line of its own',
  );
  const sent = await mm1(`${mm1Url}/`, { pdu: sendReq([B, C]), msisdn: A, from: GATEWAY });
  t.equal(sent.pdu?.responseStatus, 'Ok');

  const b = new Handset(B, mm1Url);
  const [n] = await until('the notification to B', () => {
    const found = b
      .pushes(smsc)
      .filter((p): p is Extract<MmsPdu, { messageType: 'm-notification-ind' }> => p.messageType === 'm-notification-ind');
    return found.length > 0 ? found : undefined;
  });
  t.ok(n!.contentLocation.startsWith(`http://127.0.0.1:${mm1Port}/r/`), `Content-Location on the configured port (${n!.contentLocation})`);

  const sms = await until(
    'the fallback SMS to C',
    () => smsc.submits.find((s) => s.destinationAddr === C.slice(1) && s.dataCoding !== 0x04 && s.status === 0),
    5000,
  );
  const link = sms.text.split(' ').pop()!;
  t.ok(link.startsWith(`${webUrl}/m/`), `the link points at the web-view listener (${link})`);

  // From 127.0.0.1, not a trusted proxy, without a subscriber header: the token is the credential.
  const page = await httpRequest(link);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body.toString('utf8'), /hello/);
  const src = /<img[^>]* src="([^"]+)"/.exec(page.body.toString('utf8'))?.[1];
  const img = await httpRequest(new URL(src!.replace(/&amp;/g, '&'), link).href);
  t.equal(img.status, 200);
  t.ok(img.body.equals(IMAGE), 'the image bytes');
  t.equal((await httpRequest(`${webUrl}/r/x`)).status, 404, 'nothing but the web view there');
  t.equal((await httpRequest(link, { method: 'POST', body: Buffer.from('x') })).status, 405);

  const path = new URL(link).pathname;
  t.equal((await mm1(`${mm1Url}${path}`, { from: GATEWAY })).status, 404, 'the MM1 listener no longer serves the web view');
  t.equal((await mm1(`${mm1Url}${path}`, {})).status, 403, 'nor answers an untrusted source');
  const metric = await gw.metrics.registry.getSingleMetricAsString('mmsc_web_view_requests_total');
  t.match(metric, /kind="page",code="200"[^\n]* 1/, 'the page counted');
  t.match(metric, /kind="media",code="200"[^\n]* 1/, 'the media counted');
});

t.test("mm1.msisdnFormat international reads '15551234567'; otherwise each 403 logs why", async (t) => {
  const intl = await setup(t, { msisdnFormat: 'international' });
  const ok = await mm1(`${intl.mm1Url}/`, { pdu: sendReq([B]), msisdn: A.slice(1) });
  t.equal(ok.pdu?.responseStatus, 'Ok', 'digits without "+" accepted');
  t.equal((await intl.gw.store.queue.message(ok.pdu?.messageId as string))?.originator.address, A, 'as the +E.164 subscriber');

  const e164 = await setup(t);
  const refused = await mm1(`${e164.mm1Url}/`, { pdu: sendReq([B]), msisdn: A.slice(1) });
  t.equal(refused.status, 403, 'the default format (e164) wants "+"');
  t.equal((await mm1(`${e164.mm1Url}/`, { pdu: sendReq([B]) })).status, 403);
  t.equal((await mm1(`${e164.mm1Url}/`, { pdu: sendReq([B]), msisdn: '+442071234567' })).status, 403);
  const token = e164.gw.tokens.retrieval('some-message', 0);
  t.equal((await mm1(`${e164.mm1Url}/r/${token}`, { msisdn: B.slice(1) })).status, 403, 'retrieval too');
  // A client's own header that the gateway passed on beside its own: neither is believed.
  const twice = await httpRequest(`${e164.mm1Url}/`, {
    method: 'POST',
    headers: { 'content-type': MMS, 'x-msisdn': [A, B] },
    body: encodePdu(sendReq([B])),
  });
  t.equal(twice.status, 403, 'the header twice');
  t.match(e164.refusals(), [
    { level: 30, reason: 'unparseable', detail: /no "\+"/, from: '127.0.0.1', header: 'x-msisdn' },
    { level: 30, reason: 'missing', from: '127.0.0.1' },
    { level: 30, reason: 'not-local', detail: /mm1\.localPrefixes/, from: '127.0.0.1' },
    { level: 30, reason: 'unparseable', method: 'GET' },
    { level: 30, reason: 'unparseable', detail: /more than once/ },
  ]);
  t.equal(e164.refusals().length, 5);
});
