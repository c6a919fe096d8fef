// API keys on the REST API end to end (issue 24): a real MM7 listener on loopback, requests through restCall with
// bearer(key). The key's scope is enforced by the dispatcher (a read key cannot submit, a send key cannot look:
// 403), an unknown key is 401 with a Bearer challenge, a Bearer on an MM7 SOAP request is 401 (Basic's), and a
// key's use is recorded as its last-used time.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { ApiKeyUsage } from '../../src/vasp/api-key-usage.js';
import { captureLog } from '../helpers/log-capture.js';
import { basic, bearer, restCall } from '../helpers/rest-call.js';

const FULL = 'mmsc_e2e-full-4fJ8kL2mN6pQ9rS3tU7vW1xY5zA0bC4dE8g';
const READ = 'mmsc_e2e-read-9hK3lM7nP1qR5sT9uV3wX7yZ1aB5cD9eF3g';
const SEND = 'mmsc_e2e-send-2jL6mN0pQ4rS8tU2vW6xY0zA4bC8dE2fG6h';
const OTHER = 'mmsc_e2e-other-7kM1nP5qR9sT3uV7wX1yZ5aB9cD3eF7gH1';
const sha = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

async function start(t: Test) {
  const config = ConfigSchema.parse({
    mm7: {
      port: 0,
      vasps: [
        {
          id: 'acme',
          username: 'acme',
          password: 'pw-acme',
          senders: ['12345'],
          apiKeys: [
            { name: 'ci', hash: sha(FULL) },
            { name: 'dashboard', hash: sha(READ), scope: 'read' },
            { name: 'shop', hash: sha(SEND), scope: 'send' },
          ],
        },
        // Keys only: no password.
        { id: 'other', username: 'other', senders: ['54321'], apiKeys: [{ name: 'main', hash: sha(OTHER) }] },
      ],
    },
  }).mm7;
  const clock = { now: NOW };
  const store = createMemoryStore({ now: () => clock.now });
  const metrics = new Metrics();
  const cap = captureLog('info');
  const usage = new ApiKeyUsage({ activity: store.apiKeyActivity, log: cap.log, metrics, now: () => clock.now });
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: cap.log,
    now: () => clock.now,
    restServices: { apiKeyUsage: usage },
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, store, metrics, clock, lines: cap.lines };
}

function form(text: string): FormData {
  const f = new FormData();
  f.append('to', '+16175550100');
  f.append('text', text);
  return f;
}

t.test('scopes end to end: full does both, read only looks, send only sends', async (t) => {
  const s = await start(t);
  const sent = await restCall(s.url, 'POST', '/v1/messages', { auth: bearer(FULL), body: form('by the ci key') });
  t.equal(sent.status, 202, 'a full key submits');
  const id = sent.body.messageId as string;
  t.equal((await s.store.queue.message(id))?.origin.peer, 'acme', 'as its account');
  t.equal((await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: bearer(FULL) })).status, 200, 'and looks');

  const readPost = await restCall(s.url, 'POST', '/v1/messages', { auth: bearer(READ), body: form('by the read key') });
  t.equal(readPost.status, 403, 'a read key cannot submit');
  t.match(readPost.body, { error: { status: 403, code: 'FORBIDDEN', message: /API key \(dashboard\) may not send/ } });
  t.equal((await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: bearer(READ) })).status, 200, 'a read key looks');

  const sendGet = await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: bearer(SEND) });
  t.equal(sendGet.status, 403, 'a send key cannot look');
  t.match(sendGet.body, { error: { code: 'FORBIDDEN', message: /API key \(shop\) may not read/ } });
  t.equal(
    (await restCall(s.url, 'POST', '/v1/messages', { auth: bearer(SEND), body: form('by the shop key') })).status,
    202,
    'a send key submits',
  );

  const other = await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: bearer(OTHER) });
  t.equal(other.status, 404, "another account's key does not see acme's message");
  const own = await restCall(s.url, 'POST', '/v1/messages', { auth: bearer(OTHER), body: form('keys only') });
  t.equal(own.status, 202, 'an account with keys only submits');
  t.equal((await s.store.queue.message(own.body.messageId as string))?.origin.peer, 'other');

  t.equal((await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: basic('acme', 'pw-acme') })).status, 200, 'Basic still works');
  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_api_key_requests_total\{vasp="acme",key="ci",service="mmsc"\} 2/);
  t.match(metrics, /mmsc_rest_api_key_requests_total\{vasp="acme",key="dashboard",service="mmsc"\} 2/);
});

t.test('an unknown key is 401 with a Bearer challenge; a wrong Basic keeps the Basic one', async (t) => {
  const s = await start(t);
  const r = await restCall(s.url, 'GET', '/v1/messages/x', { auth: bearer('mmsc_nobody-has-this-key-000000000000000000000') });
  t.equal(r.status, 401);
  t.match(r.headers.get('www-authenticate'), /^Bearer realm="MM7", error="invalid_token"$/);
  const hashed = await restCall(s.url, 'GET', '/v1/messages/x', { auth: bearer(sha(FULL)) });
  t.equal(hashed.status, 401, 'the stored hash is not a key');
  const b = await restCall(s.url, 'GET', '/v1/messages/x', { auth: basic('acme', 'wrong') });
  t.equal(b.status, 401);
  t.match(b.headers.get('www-authenticate'), /^Basic /);
  t.equal((await restCall(s.url, 'GET', '/v1/messages/x')).headers.get('www-authenticate'), 'Basic realm="MM7"', 'no credentials: Basic');
});

t.test('a Bearer on an MM7 SOAP request is refused 401: MM7 VASPs authenticate by Basic or certificate', async (t) => {
  const s = await start(t);
  const r = await fetch(s.url, {
    method: 'POST',
    headers: { authorization: bearer(FULL), 'content-type': 'text/xml' },
    body: '<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body/></env:Envelope>',
  });
  t.equal(r.status, 401);
  t.equal(r.headers.get('www-authenticate'), 'Basic realm="MM7"');
  t.match(await r.text(), /API keys authenticate the REST API \(\/v1\/\) only/);
  t.strictSame(await s.store.apiKeyActivity.lastUsed('acme'), new Map(), 'not recorded as a use');
});

t.test("a key's use is recorded as its last-used time; a refused request is not a use", async (t) => {
  const s = await start(t);
  await restCall(s.url, 'GET', '/v1/messages/none', { auth: bearer(READ) });
  await restCall(s.url, 'GET', '/v1/messages/none', { auth: bearer('mmsc_unknown-0000000000000000000000000000000000') });
  // The write is not waited for by the request: it lands right after.
  await new Promise((r) => setImmediate(r));
  t.strictSame(await s.store.apiKeyActivity.lastUsed('acme'), new Map([['dashboard', NOW]]));
  t.strictSame(await s.store.apiKeyActivity.lastUsed('other'), new Map());
});
