// Configuration mistakes a new user made, caught at start with the key and where its value came from: a Redis
// URL of another scheme, a VASP sender every submission would be refused for, misspelt MMSC_* variables,
// and checks across keys that name every key involved.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig, unknownEnvVars } from '../../src/ops/config.js';

function error(o: { env?: Record<string, string>; file?: object }): string {
  let file: string | undefined;
  if (o.file) {
    file = join(mkdtempSync(join(tmpdir(), 'mmsc-cfg-')), 'c.json');
    writeFileSync(file, JSON.stringify(o.file));
  }
  try {
    loadConfig({ env: o.env ?? {}, ...(file !== undefined ? { file } : {}) });
  } catch (e) {
    if (e instanceof ConfigError) return e.message.replace(file ?? '\0', 'FILE');
    throw e;
  }
  return 'no error';
}

const vasp = (senders: string[]) => [{ id: 'v1', username: 'u', password: 'p', senders }];

t.test('redis.url must be redis:// or rediss://', async (t) => {
  t.match(
    error({ env: { REDIS_URL: 'http://127.0.0.1:6379' } }),
    /redis\.url: a redis:\/\/ or rediss:\/\/ \(TLS\) URL \(from env REDIS_URL\)/,
  );
  t.match(error({ file: { redis: { url: 'localhost:6379' } } }), /redis\.url: .* \(from file FILE:1\)/);
  t.equal(loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379/2' } }).redis.url, 'redis://127.0.0.1:6379/2');
  t.equal(loadConfig({ env: { REDIS_URL: 'rediss://user:pw@redis.example:6380' } }).redis.url, 'rediss://user:pw@redis.example:6380');
});

t.test('a VASP sender must be a short code, a number or an e-mail address, as submissions check it', async (t) => {
  t.match(
    error({ env: { MMSC_MM7_VASPS: JSON.stringify(vasp(['1'])) } }),
    /mm7\.vasps\.0\.senders\.0: neither a short code \(3-8 digits\) nor an address: .* \(from env MMSC_MM7_VASPS\)/,
  );
  t.match(
    error({ file: { mm7: { vasps: vasp(['12345', 'MMSC']) } } }),
    /mm7\.vasps\.0\.senders\.1: neither a short code .*letter.* \(from file FILE:1\)/,
  );
  const ok = loadConfig({ env: { MMSC_MM7_VASPS: JSON.stringify(vasp(['12345', '+15551234567', '15551234567', 'news@vasp.example'])) } });
  t.same(ok.mm7.vasps[0]?.senders, ['12345', '+15551234567', '15551234567', 'news@vasp.example']);
});

t.test('unknown MMSC_* variables are found, with the name they most resemble', async (t) => {
  const found = unknownEnvVars({
    MMSC_OPS_PROT: '1',
    MMSC_MM1_MAXPUSHES: '2',
    MMSC_WHATEVER_THIS_IS: 'x',
    MMSC_OPS_PORT: '1',
    MMSC_CONFIG: 'c.json',
    REDIS_URL: 'redis://x',
    PATH: '/bin',
  });
  t.same(found, [
    { name: 'MMSC_MM1_MAXPUSHES', suggestion: 'MMSC_MM1_MAX_PUSHES' },
    { name: 'MMSC_OPS_PROT', suggestion: 'MMSC_OPS_PORT' },
    { name: 'MMSC_WHATEVER_THIS_IS' },
  ]);
  t.same(unknownEnvVars({ MMSC_OPS_PORT: '1', MMSC_MM7_VASPS: '[]', REDIS_URL: 'redis://x' }), [], 'known names only: nothing');
});

t.test('a check across keys names each key involved and where it came from', async (t) => {
  const burst = error({ env: { MMSC_MM1_SUBMIT_BURST: '5' } });
  t.match(
    burst,
    /mm1\.maxRecipients: must not exceed mm1\.submitBurst \(5\): .* \(mm1\.maxRecipients from default, mm1\.submitBurst from env MMSC_MM1_SUBMIT_BURST\)/,
  );
  t.notMatch(burst, /from defaults/);
  t.match(
    error({ file: { mm1: { maxRecipients: 500 } } }),
    /mm1\.maxRecipients: must not exceed mm1\.submitBurst \(\d+\): .* \(mm1\.maxRecipients from file FILE:1, mm1\.submitBurst from default\)/,
  );
  t.match(
    error({ env: { MMSC_MM1_PUSH: 'pap' } }),
    /mm1\.papUrl: required when mm1\.push is pap \(mm1\.papUrl from default, mm1\.push from env MMSC_MM1_PUSH\)/,
  );
  t.match(
    error({ file: { mm7: { vasps: [{ id: 'v1', password: 'p', senders: ['12345'] }] } } }),
    /mm7\.vasps\.0\.username: .* \(from file FILE:1\)/,
    'a field missing from an object the file gave',
  );
});
