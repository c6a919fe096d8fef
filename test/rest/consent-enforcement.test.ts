// Consent at submission (issue 24, src/core/consent.ts through the intake's screen): a marketing message to a
// subscriber without an opt-in for the sender is refused on REST (multipart form, class=marketing: 403
// consent-required naming the recipients) and on MM7 (MessageClass Advertisement: SubmitRsp 4007); nothing is
// stored; counted and logged. Transactional messages pass; an opt-in lets marketing through. Real HTTP on
// loopback, the embedded store.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { consentScreen } from '../../src/core/consent.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, VaspSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { captureLog } from '../helpers/log-capture.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { basic, restCall } from '../helpers/rest-call.js';

const VASP = VaspSchema.parse({ id: 'acme', username: 'acme', password: 'pw-acme', senders: ['12345', '54321'] });
const A = '+14155550100';
const B = '+447700900123';

async function start(t: Test, enabled = true) {
  const store = createMemoryStore();
  const metrics = new Metrics();
  const captured = captureLog();
  const server = new Mm7Server({
    config: ConfigSchema.parse({ mm7: { port: 0, vasps: [VASP] } }).mm7,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: pino({ level: 'silent' }),
    screen: consentScreen({
      consent: store.consent,
      enabled: () => enabled,
      refused: (iface) => metrics.consentRefusals.inc({ iface }),
      log: captured.log,
    }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, store, metrics, lines: captured.lines };
}

function form(entries: Array<[string, string]>): FormData {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  f.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
  return f;
}

const restSubmit = (url: string, entries: Array<[string, string]>) =>
  restCall(url, 'POST', '/v1/messages', { auth: basic('acme', 'pw-acme'), body: form(entries) });

let tx = 0;
async function mm7Submit(url: string, to: string[], messageClass?: 'Advertisement' | 'Informational') {
  const req = mm7SubmitReq({
    transactionId: `t-${++tx}`,
    vasp: 'acme',
    shortCode: '12345',
    to,
    parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('hi') }],
    ...(messageClass ? { messageClass } : {}),
  });
  const r = await fetch(url, {
    method: 'POST',
    body: new Uint8Array(req.body),
    headers: { 'content-type': req.contentType, authorization: basic('acme', 'pw-acme') },
  });
  const text = await r.text();
  return {
    http: r.status,
    code: /<(?:\w+:)?StatusCode>(\d+)</.exec(text)?.[1],
    text: /<(?:\w+:)?StatusText>([^<]*)</.exec(text)?.[1],
    id: /<(?:\w+:)?MessageID>([^<]+)</.exec(text)?.[1],
  };
}

t.test('REST: marketing without opt-in is 403 consent-required naming the recipients; nothing stored', async (t) => {
  const s = await start(t);
  await s.store.consent.set('12345', B, { state: 'opted-in', source: 'web', at: 1, proof: 'https://acme.example/join 203.0.113.9' });
  await s.store.consent.set('12345', A, { state: 'pending', source: 'keyword', at: 1 });
  const r = await restSubmit(s.url, [
    ['to', A],
    ['to', B],
    ['class', 'marketing'],
  ]);
  t.equal(r.status, 403);
  t.equal(r.body.error.code, 'FORBIDDEN');
  t.equal(r.body.error.refusal, 'consent-required');
  t.strictSame(r.body.error.recipients, [A], 'only the one without an opt-in (pending is none)');
  t.match(r.body.error.message, A);
  t.equal((await s.store.queue.stats()).waiting, 0, 'nothing stored');
  t.match(await s.metrics.registry.getSingleMetricAsString('mmsc_consent_refusals_total'), /iface="rest"[^\n]* 1/);
  t.ok(
    s.lines.some((l) => l.msg.includes('consent-required') && l.sender === '12345'),
    'a log line',
  );

  const other = await restSubmit(s.url, [
    ['to', B],
    ['class', 'marketing'],
    ['from', '54321'],
  ]);
  t.equal(other.status, 403, 'an opt-in is per sender: 54321 has none');

  const ok = await restSubmit(s.url, [
    ['to', B],
    ['class', 'marketing'],
  ]);
  t.equal(ok.status, 202, 'opted in: accepted');
  const tx = await restSubmit(s.url, [['to', A]]);
  t.equal(tx.status, 202, 'transactional (the default) is not refused for want of an opt-in');
  const bad = await restSubmit(s.url, [
    ['to', A],
    ['class', 'promo'],
  ]);
  t.equal(bad.status, 400, 'an unknown class is a validation error');
});

t.test('MM7: Advertisement without opt-in is SubmitRsp 4007; Informational passes; opted in passes', async (t) => {
  const s = await start(t);
  const r = await mm7Submit(s.url, [A], 'Advertisement');
  t.equal(r.http, 200, 'SOAP answers are HTTP 200');
  t.equal(r.code, '4007');
  t.match(r.text, A, 'StatusText names the recipient');
  t.equal(r.id, undefined, 'no MessageID: not stored');
  t.match(await s.metrics.registry.getSingleMetricAsString('mmsc_consent_refusals_total'), /iface="mm7"[^\n]* 1/);
  t.equal((await mm7Submit(s.url, [A], 'Informational')).code, '1000');
  t.equal((await mm7Submit(s.url, [A])).code, '1000', 'no class: transactional');
  await s.store.consent.set('12345', A, { state: 'opted-in', source: 'import', at: 1 });
  t.equal((await mm7Submit(s.url, [A], 'Advertisement')).code, '1000', 'opted in: accepted');
  await s.store.consent.set('12345', A, { state: 'opted-out', source: 'keyword', at: 2 });
  t.equal((await mm7Submit(s.url, [A], 'Advertisement')).code, '4007', 'opted out again: refused');
});

t.test('consent.marketingNeedsOptIn false: marketing is not screened', async (t) => {
  const s = await start(t, false);
  t.equal((await mm7Submit(s.url, [A], 'Advertisement')).code, '1000');
});
