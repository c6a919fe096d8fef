// GET /admin/vasps/:id/keys (issue 24) through the real admin router, and API keys through a real Gateway's
// reload (POST /admin/reload, as SIGHUP): a key added by a reload authenticates, a removed one is 401, and the
// admin API lists the keys in force with their last-used times, never a hash.
import { createHash } from 'node:crypto';
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { apiKeyRoutes } from '../../src/ops/admin/api-keys.js';
import { ConfigSchema, type Config } from '../../src/ops/config.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { adminCall } from '../helpers/admin-call.js';
import { captureLog } from '../helpers/log-capture.js';
import { bearer, restCall } from '../helpers/rest-call.js';

const OLD = 'mmsc_admin-old-5gH9jK3lM7nP1qR5sT9uV3wX7yZ1aB5cD9';
const NEW = 'mmsc_admin-new-8dF2gH6jK0lM4nP8qR2sT6uV0wX4yZ8aB2';
const sha = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;
const T0 = Date.UTC(2030, 5, 1, 8, 30, 0);

t.test('GET /admin/vasps/:id/keys: name, scope and last use in config order; never the hash; 404 for no such VASP', async (t) => {
  const config = ConfigSchema.parse({
    mm7: {
      vasps: [
        {
          id: 'acme',
          username: 'acme',
          senders: ['12345'],
          apiKeys: [
            { name: 'old', hash: sha(OLD), scope: 'send' },
            { name: 'new', hash: sha(NEW) },
          ],
        },
        { id: 'plain', username: 'plain', password: 'pw', senders: ['12345'] },
      ],
    },
  });
  const store = createMemoryStore();
  t.teardown(() => store.queue.close());
  await store.apiKeyActivity.touch('acme', 'old', T0);
  await store.apiKeyActivity.touch('acme', 'removed-long-ago', T0 - 1);
  const routes = apiKeyRoutes({ vasps: () => config.mm7.vasps, activity: store.apiKeyActivity });

  const r = await adminCall(routes, 'GET', '/admin/vasps/acme/keys', 'read');
  t.equal(r.status, 200);
  t.strictSame(r.body, {
    keys: [
      { name: 'old', scope: 'send', lastUsedAt: '2030-06-01T08:30:00.000Z' },
      { name: 'new', scope: 'full' },
    ],
  });
  const text = JSON.stringify(r.body);
  t.notMatch(text, /sha256|[0-9a-f]{32}/, 'no hash in the answer');
  t.notMatch(text, /removed-long-ago/, 'only the keys in force');
  t.strictSame((await adminCall(routes, 'GET', '/admin/vasps/plain/keys', 'read')).body, { keys: [] });
  t.match(await adminCall(routes, 'GET', '/admin/vasps/nobody/keys', 'read'), { status: 404, body: { error: { code: 'VASP_UNKNOWN' } } });
});

t.test('reload: a key added works, a key removed is 401; the admin API follows the config in force', async (t) => {
  const tokens = [{ name: 'oncall', token: 'oncall-token-0123456789', role: 'operate' as const }];
  const vasp = (apiKeys: unknown[]) => ({ id: 'acme', username: 'acme', password: 'pw-acme', senders: ['12345'], apiKeys });
  const base = (apiKeys: unknown[]) => ({ ops: { port: 0, tokens }, mm1: { enabled: false }, mm7: { port: 0, vasps: [vasp(apiKeys)] } });
  let next: () => Config = () => ConfigSchema.parse(base([{ name: 'old', hash: sha(OLD) }]));
  const gw = new Gateway(next(), captureLog('warn').log, { loadConfig: () => next() });
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const ops = listeners.find((l) => l.iface === 'ops')!.address;
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  const admin = async (method: string, path: string) => {
    const r = await fetch(`${ops}${path}`, { method, headers: { authorization: `Bearer ${tokens[0]!.token}` } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  // 404: authenticated, and no such message. 401: the key was refused.
  const status = async (key: string) => (await restCall(mm7, 'GET', '/v1/messages/none', { auth: bearer(key) })).status;

  t.equal(await status(OLD), 404, 'the configured key authenticates');
  t.equal(await status(NEW), 401, 'a key not configured yet does not');

  next = () =>
    ConfigSchema.parse(
      base([
        { name: 'old', hash: sha(OLD) },
        { name: 'new', hash: sha(NEW), scope: 'read' },
      ]),
    );
  t.match(await admin('POST', '/admin/reload'), { status: 200, body: { ok: true } });
  t.equal(await status(NEW), 404, 'the key added by the reload authenticates');
  t.equal(await status(OLD), 404, 'and the old one still does: both during a rotation');
  const both = await admin('GET', '/admin/vasps/acme/keys');
  t.match(both.body, {
    keys: [
      { name: 'old', scope: 'full', lastUsedAt: String },
      { name: 'new', scope: 'read', lastUsedAt: String },
    ],
  });

  next = () => ConfigSchema.parse(base([{ name: 'new', hash: sha(NEW), scope: 'read' }]));
  t.match(await admin('POST', '/admin/reload'), { status: 200, body: { ok: true } });
  t.equal(await status(OLD), 401, 'the key removed by the reload is refused');
  t.equal(await status(NEW), 404, 'the other goes on');
  t.match(await admin('GET', '/admin/vasps/acme/keys'), { body: { keys: [{ name: 'new', scope: 'read' }] } });
  t.equal(((await admin('GET', '/admin/vasps/acme/keys')).body.keys as unknown[]).length, 1);
});
