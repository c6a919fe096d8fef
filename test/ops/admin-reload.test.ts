// POST /admin/reload through a real Gateway's ops listener: the same reload as SIGHUP (src/ops/reload.ts),
// operate role only, 200 with what changed and what needs a restart, 422 CONFIG_REFUSED naming the key when the
// new configuration is refused (the one in force stays).
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema, ConfigError, type Config } from '../../src/ops/config.js';
import { captureLog } from '../helpers/log-capture.js';

const TOKENS = [
  { name: 'viewer', token: 'viewer-token-0123456789', role: 'read' as const },
  { name: 'oncall', token: 'oncall-token-0123456789', role: 'operate' as const },
];
const VASP = { id: 'acme', username: 'acme', password: 'pw-acme', senders: ['1234'] };
const base = { ops: { port: 0, tokens: TOKENS }, mm1: { enabled: false }, mm7: { port: 0, vasps: [VASP] } };

t.test('POST /admin/reload: operate only; applies the accounts, names what needs a restart; a bad config is 422', async (t) => {
  let next: () => Config = () => ConfigSchema.parse(base);
  const cap = captureLog('debug');
  const gw = new Gateway(ConfigSchema.parse(base), cap.log, { loadConfig: () => next() });
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const ops = listeners.find((l) => l.iface === 'ops')!.address;
  const reload = async (token: string) => {
    const r = await fetch(`${ops}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  t.equal((await reload(TOKENS[0]!.token)).status, 403, 'a read token may not reload');
  t.equal((await reload('not-a-token-at-all-000')).status, 401);

  next = () => ConfigSchema.parse({ ...base, mm7: { ...base.mm7, port: 1, vasps: [VASP, { ...VASP, id: 'beta', username: 'beta' }] } });
  const ok = await reload(TOKENS[1]!.token);
  t.equal(ok.status, 200);
  t.match(ok.body, { ok: true, changed: ['mm7.port: changed', 'mm7.vasps[beta]: added'], restartRequired: ['mm7.port'] });
  t.ok(
    cap.lines.some((l) => l.msg === 'admin action' && l.admin === 'oncall'),
    'logged with the token name',
  );

  next = () => {
    throw new ConfigError('invalid configuration: mm7.vasps.0.rate: Too small (from file x.yaml:3)');
  };
  const refused = await reload(TOKENS[1]!.token);
  t.equal(refused.status, 422);
  t.match(refused.body, { error: { code: 'CONFIG_REFUSED', message: /mm7\.vasps\.0\.rate/ } });
});
