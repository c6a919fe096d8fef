// The admin API's door (src/ops/admin/router.ts, auth.ts): bearer tokens of two roles, 401/403/404/405, the
// audit log line of every call (the token's name, never the token), bounded metric labels, hostile bodies.
import { request } from 'node:http';
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { hashSecret } from '../../src/ops/secret.js';
import { OPERATE_TOKEN, READ_TOKEN, adminServer, queueOf } from '../helpers/admin.js';
import { captureLog } from '../helpers/log-capture.js';

/** A raw request (for bodies fetch would not send as written); resolves with status and body text. */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  write: (req: ReturnType<typeof request>) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    // The server may answer and close before the whole body is written: the answer is what counts.
    req.on('error', (err) => reject(err));
    write(req);
  });
}

t.test('without a token only /metrics, /healthz and /readyz answer; /admin answers 401 to anything', async (t) => {
  const { client } = await adminServer(t, await queueOf(t, 'memory'));
  t.equal((await fetch(`${client.base}/metrics`)).status, 200);
  t.equal((await fetch(`${client.base}/healthz`)).status, 200);
  t.equal((await fetch(`${client.base}/readyz`)).status, 503, 'answers (not ready: nobody set it)');
  for (const [method, path] of [
    ['GET', '/admin/version'],
    ['GET', '/admin/messages/x'],
    ['POST', '/admin/dead-letters/requeue'],
    ['DELETE', '/admin/dead-letters/x/0'],
    ['GET', '/admin/no-such-thing'],
    ['GET', '/admin'],
  ] as const) {
    const r = await client.call('none', method, path);
    t.equal(r.status, 401, `${method} ${path} without a token`);
    t.equal(r.headers.get('www-authenticate'), 'Bearer realm="mmsc-admin"');
    t.strictSame(r.body, { error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } });
    t.equal((await client.call('wrong-token-0123456789abcdef', method, path)).status, 401, `${method} ${path} with a wrong token`);
  }
  const basic = await fetch(`${client.base}/admin/version`, {
    headers: { authorization: `Basic ${Buffer.from(`x:${READ_TOKEN}`).toString('base64')}` },
  });
  t.equal(basic.status, 401, 'another scheme is no bearer token');
  const prefix = await fetch(`${client.base}/admin/version`, { headers: { authorization: `Bearer ${READ_TOKEN.slice(0, -1)}` } });
  t.equal(prefix.status, 401, 'a prefix of a token is no token');
});

t.test('with a token: unknown paths 404, a wrong method 405, a role too low 403', async (t) => {
  const { client } = await adminServer(t, await queueOf(t, 'memory'));
  t.equal((await client.call('read', 'GET', '/admin/no-such-thing')).status, 404);
  t.equal((await client.call('read', 'GET', '/admin')).status, 404);
  t.equal((await client.call('read', 'GET', '/admin/messages/a/b/c/d')).status, 404);
  const put = await client.call('operate', 'PUT', '/admin/version');
  t.equal(put.status, 405);
  t.equal(put.headers.get('allow'), 'GET');
  for (const [method, path, body] of [
    ['POST', '/admin/messages/m1/cancel', undefined],
    ['POST', '/admin/dead-letters/m1/0/requeue', undefined],
    ['POST', '/admin/dead-letters/requeue', { peer: 'x' }],
    ['DELETE', '/admin/dead-letters/m1/0', undefined],
  ] as const) {
    const r = await client.call('read', method, path, body);
    t.equal(r.status, 403, `read may not ${method} ${path}`);
    t.equal(r.body.error.code, 'FORBIDDEN');
    t.not((await client.call('operate', method, path, body)).status, 403, `operate may ${method} ${path}`);
  }
  t.equal((await client.call('read', 'GET', '/admin/version')).status, 200, 'read may read');
  t.equal((await client.call('operate', 'GET', '/admin/version')).status, 200, 'operate includes read');
});

t.test("every call is logged with the token's name, the action, the target and the outcome; never the token", async (t) => {
  const { client, log } = await adminServer(t, await queueOf(t, 'memory'));
  await client.call('operate', 'POST', '/admin/messages/m%2F1/cancel');
  await client.call('read', 'POST', '/admin/messages/m1/cancel');
  await client.call('read', 'GET', '/admin/version');
  await client.call('none', 'GET', '/admin/version');
  await client.call('wrong-token-0123456789abcdef', 'GET', '/admin/version');
  const audit = log.lines.filter((l) => l.msg === 'admin action');
  t.match(audit, [
    {
      admin: 'bob',
      role: 'operate',
      action: 'cancel a message',
      method: 'POST',
      target: '/admin/messages/m%2F1/cancel',
      outcome: 404,
      code: 'UNKNOWN_MESSAGE',
    },
    { admin: 'alice', role: 'read', action: 'cancel a message', outcome: 403 },
    { admin: 'alice', action: 'version', target: '/admin/version', outcome: 200 },
  ]);
  t.equal(audit.length, 3);
  t.equal(log.lines.filter((l) => l.msg === 'admin call without a valid token' && l.outcome === 401).length, 2);
  const text = log.text();
  t.notOk(text.includes(READ_TOKEN) || text.includes(OPERATE_TOKEN) || text.includes('wrong-token'), 'no token in the log');
});

t.test('the request metric is labelled by route pattern, never by the raw path', async (t) => {
  const { client } = await adminServer(t, await queueOf(t, 'memory'));
  await client.call('read', 'GET', '/admin/messages/secret-id-1');
  await client.call('read', 'GET', '/admin/messages/secret-id-2');
  await client.call('read', 'GET', '/admin/nothing-here-3');
  await client.call('none', 'GET', '/admin/nothing-here-4');
  const text = await (await fetch(`${client.base}/metrics`)).text();
  t.match(text, /mmsc_ops_http_requests_total\{route="\/admin\/messages\/:id",code="404",service="mmsc"\} 2/);
  t.match(text, /mmsc_ops_http_requests_total\{route="\/admin\/\*",code="404",service="mmsc"\} 1/);
  t.match(text, /mmsc_ops_http_requests_total\{route="\/admin\/\*",code="401",service="mmsc"\} 1/);
  t.notMatch(text, /secret-id|nothing-here/);
});

t.test('hostile bodies and paths: a clear 4xx, and the listener keeps serving', async (t) => {
  const { client } = await adminServer(t, await queueOf(t, 'memory'));
  const auth = { authorization: `Bearer ${OPERATE_TOKEN}` };
  const post = (headers: Record<string, string>, body: string | Buffer) =>
    raw(client.base, 'POST', '/admin/dead-letters/requeue', { ...auth, ...headers }, (req) => req.end(body));
  const bad = await post({ 'content-type': 'application/json' }, '{"peer": ');
  t.equal(bad.status, 400);
  t.match(JSON.parse(bad.text), { error: { code: 'BAD_JSON' } });
  for (const body of ['[]', '"peer"', '{"peer": 5}', '{"peer": ""}', 'null', `{"peer": "${'x'.repeat(300)}"}`]) {
    const r = await post({ 'content-type': 'application/json' }, body);
    t.equal(r.status, 400, `body ${body.slice(0, 20)}`);
    t.match(JSON.parse(r.text), { error: { code: 'BAD_BODY' } });
  }
  t.equal((await post({ 'content-type': 'text/plain' }, '{"peer":"a"}')).status, 415);
  const big = await post({ 'content-type': 'application/json' }, Buffer.alloc(1024 * 1024, 0x20));
  t.equal(big.status, 413, 'a declared length over the bound: refused unread');
  const chunked = await raw(
    client.base,
    'POST',
    '/admin/dead-letters/requeue',
    { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    (req) => {
      req.write(`{"peer":"${'x'.repeat(20_000)}`);
      req.end('"}');
    },
  );
  t.equal(chunked.status, 413, 'a chunked body over the bound: refused once it passes it');
  const proto = await post({ 'content-type': 'application/json' }, '{"__proto__": {"peer": "p"}}');
  t.equal(proto.status, 400, 'a __proto__ key gives no field');
  t.equal((await client.call('read', 'GET', '/admin/messages/%E0%A4%A')).status, 404, 'a malformed escape matches no route');
  t.equal((await client.call('read', 'GET', '/admin/dead-letters/m/abc')).status, 400, 'a recipient that is not an index');
  t.equal((await client.call('read', 'GET', '/admin/dead-letters/m/99999')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/messages?recipient=%2B1&limit=100000')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/messages?recipient=%2B1&from=yesterday')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/messages?recipient=%2B1&cursor=!!!')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/messages?recipient=%2B1&originator=%2B2')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/messages')).status, 400);
  t.equal((await client.call('read', 'GET', '/admin/version')).status, 200, 'still serving');
});

t.test('ops.tokens: tokens from an scrypt hash and the environment; bad entries are refused naming the key', async (t) => {
  const hashed = await hashSecret(OPERATE_TOKEN, Buffer.from('0123456789abcdef'));
  process.env.MMSC_TEST_ADMIN_TOKEN = READ_TOKEN;
  t.teardown(() => delete process.env.MMSC_TEST_ADMIN_TOKEN);
  const config = ConfigSchema.parse({
    ops: {
      port: 0,
      tokens: [
        { name: 'ops-team', token: hashed, role: 'operate' },
        { name: 'grafana', token: { env: 'MMSC_TEST_ADMIN_TOKEN' } },
      ],
    },
    mm7: { enabled: false },
    mm1: { port: 0 },
  });
  t.equal(config.ops.tokens[1]?.role, 'read', 'read by default');
  const cap = captureLog('info');
  const gw = new Gateway(config, cap.log);
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const ops = listeners.find((l) => l.iface === 'ops')!.address;
  const call = (token: string, method = 'GET', path = '/admin/version') =>
    fetch(`${ops}${path}`, { method, headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  t.equal(await call(OPERATE_TOKEN), 200, 'the hashed token');
  t.equal(await call(READ_TOKEN), 200, 'the token from the environment');
  t.equal(await call(READ_TOKEN, 'POST', '/admin/messages/x/cancel'), 403);
  t.equal(await call(OPERATE_TOKEN, 'POST', '/admin/messages/x/cancel'), 404, 'operate: the message is unknown');
  t.equal(await call(hashed), 401, 'the hash itself is no token');
  t.notOk(cap.text().includes(OPERATE_TOKEN), 'no token in the log');

  const refused = (tokens: unknown) => ConfigSchema.safeParse({ ops: { tokens } });
  t.match(refused([{ name: 'a', token: 'short' }]).error?.issues, [{ path: ['ops', 'tokens', 0, 'token'], message: /at least 16/ }]);
  t.match(refused([{ name: 'a b', token: READ_TOKEN }]).error?.issues, [{ path: ['ops', 'tokens', 0, 'name'] }]);
  t.match(refused([{ name: 'a', token: READ_TOKEN, role: 'admin' }]).error?.issues, [{ path: ['ops', 'tokens', 0, 'role'] }]);
  t.match(
    refused([
      { name: 'a', token: READ_TOKEN },
      { name: 'a', token: OPERATE_TOKEN },
    ]).error?.issues,
    [{ message: /unique/ }],
  );
  t.match(refused([{ name: 'a', token: 'scrypt$1$1$1$x$y' }]).error?.issues, [{ message: /malformed scrypt hash/ }]);
  t.match(refused([{ name: 'a', token: { env: 'MMSC_NOT_SET_ANYWHERE' } }]).error?.issues, [{ message: /not set/ }]);
  t.strictSame(ConfigSchema.parse({}).ops.tokens, [], 'none by default');
});
