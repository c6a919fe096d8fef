// VASP authentication (src/vasp/accounts.ts): Basic against inline, {file}, {env} and scrypt-hashed
// passwords; allowIps as CIDR ranges; X-Forwarded-For believed only from mm7.trustedProxies.
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { hashSecret } from '../../src/ops/secret.js';
import { clientAddress } from '../../src/transport/client-address.js';
import { CidrList } from '../../src/transport/ip-ranges.js';
import { VaspDirectory } from '../../src/vasp/accounts.js';

function req(from: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: { remoteAddress: from } } as unknown as IncomingMessage;
}
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

function vasps(list: Record<string, unknown>[], mm7: Record<string, unknown> = {}) {
  return ConfigSchema.parse({ mm7: { vasps: list.map((v) => ({ senders: ['7050'], ...v })), ...mm7 } }).mm7;
}

t.test('passwords inline, from a file, from the environment, or as scrypt hashes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'b'), 'pw-from-file\n');
  process.env.MMSC_TEST_VASP_C = 'pw-from-env';
  t.teardown(() => delete process.env.MMSC_TEST_VASP_C);
  const hash = await hashSecret('pw-hashed', Buffer.from('0123456789abcdef'));
  const mm7 = vasps([
    { id: 'a', username: 'a', password: 'pw-inline' },
    { id: 'b', username: 'b', password: { file: join(dir, 'b') } },
    { id: 'c', username: 'c', password: { env: 'MMSC_TEST_VASP_C' } },
    { id: 'd', username: 'd', password: hash },
  ]);
  t.equal(mm7.vasps[3]!.password, hash, 'the hash is kept as it is');
  const dir2 = new VaspDirectory(mm7.vasps, mm7.trustedProxies);
  for (const [user, right] of [
    ['a', 'pw-inline'],
    ['b', 'pw-from-file'],
    ['c', 'pw-from-env'],
    ['d', 'pw-hashed'],
  ] as const) {
    t.match(
      await dir2.authenticate(req('127.0.0.1', basic(user, right))),
      { ok: true, by: 'basic', vasp: { id: user } },
      `${user}: right password`,
    );
    t.match(await dir2.authenticate(req('127.0.0.1', basic(user, `${right}x`))), { ok: false, status: 401 }, `${user}: wrong password`);
  }
  t.match(await dir2.authenticate(req('127.0.0.1', basic('d', hash))), { ok: false, status: 401 }, 'the hash itself is not the password');
  t.match(await dir2.authenticate(req('127.0.0.1', basic('nobody', 'pw-inline'))), { ok: false, status: 401 }, 'unknown user');
  t.match(await dir2.authenticate(req('127.0.0.1')), { ok: false, status: 401 }, 'no credentials');
});

t.test('a bad secret source or hash fails the config, naming the key', async (t) => {
  const bad = (password: unknown) => ConfigSchema.safeParse({ mm7: { vasps: [{ id: 'a', username: 'a', password, senders: ['7050'] }] } });
  t.match(bad({ file: '/nonexistent/secret' }).error?.issues[0], { path: ['mm7', 'vasps', 0, 'password'], message: /ENOENT/ });
  t.match(bad({ env: 'MMSC_TEST_UNSET_VARIABLE' }).error?.issues[0], { message: /MMSC_TEST_UNSET_VARIABLE is not set/ });
  t.match(bad('scrypt$3$8$1$c2FsdA==$aGFzaA==').error?.issues[0], { message: /malformed scrypt hash/ });
  t.match(ConfigSchema.safeParse({ mm7: { vasps: [{ id: 'a', username: 'a', senders: ['7050'] }] } }).error?.issues[0], {
    path: ['mm7', 'vasps', 0, 'password'],
    message: /a password, a clientCert or an API key/,
  });
});

t.test('a certificate-only VASP cannot log in with Basic', async (t) => {
  const mm7 = vasps([
    { id: 'cert', username: 'cert', clientCert: { subject: 'cert' } },
    { id: 'pw', username: 'pw', password: 'pw' },
  ]);
  const d = new VaspDirectory(mm7.vasps);
  t.match(await d.authenticate(req('127.0.0.1', basic('cert', ''))), { ok: false, status: 401 });
  t.match(await d.authenticate(req('127.0.0.1', basic('cert', 'pw'))), { ok: false, status: 401 }, "another account's password");
  t.match(await d.authenticate(req('127.0.0.1', basic('pw', 'pw'))), { ok: true });
});

t.test('allowIps takes CIDR ranges, IPv4 and IPv6; a dual-stack socket address matches IPv4 ranges', async (t) => {
  const mm7 = vasps([{ id: 'a', username: 'a', password: 'pw', allowIps: ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'] }]);
  const d = new VaspDirectory(mm7.vasps);
  const from = async (ip: string) => d.authenticate(req(ip, basic('a', 'pw')));
  t.match(await from('192.0.2.200'), { ok: true });
  t.match(await from('::ffff:192.0.2.1'), { ok: true, client: '192.0.2.1' });
  t.match(await from('2001:db8::1:2'), { ok: true });
  t.match(await from('198.51.100.7'), { ok: true });
  t.match(await from('198.51.100.8'), { ok: false, status: 403, reason: /198\.51\.100\.8 not allowed for VASP a/ });
  t.match(await from('192.0.3.1'), { ok: false, status: 403 });
  const bad = ConfigSchema.safeParse({
    mm7: { vasps: [{ id: 'a', username: 'a', password: 'pw', senders: ['7050'], allowIps: ['10.1.2.3/24'] }] },
  });
  t.match(bad.error?.issues[0], { path: ['mm7', 'vasps', 0, 'allowIps', 0] });
});

t.test('X-Forwarded-For names the client only from mm7.trustedProxies', async (t) => {
  const list = [{ id: 'a', username: 'a', password: 'pw', allowIps: ['203.0.113.0/24'] }];
  const behind = (d: VaspDirectory, xff: string) => d.authenticate(req('10.0.0.5', { ...basic('a', 'pw'), 'x-forwarded-for': xff }));
  const off = vasps(list);
  t.same(off.trustedProxies, [], 'off by default');
  const direct = new VaspDirectory(off.vasps, off.trustedProxies);
  t.match(await behind(direct, '203.0.113.9'), { ok: false, status: 403, client: '10.0.0.5' }, 'off: the header is ignored');
  const on = vasps(list, { trustedProxies: ['10.0.0.0/8'] });
  const proxied = new VaspDirectory(on.vasps, on.trustedProxies);
  t.match(await behind(proxied, '203.0.113.9'), { ok: true, client: '203.0.113.9' }, 'on: the proxy names the client');
  t.match(
    await behind(proxied, '203.0.113.9, 198.51.100.1'),
    { ok: false, client: '198.51.100.1' },
    'the rightmost untrusted hop, not what the client wrote',
  );
  t.match(await behind(proxied, '203.0.113.9, 10.0.0.7'), { ok: true, client: '203.0.113.9' }, 'trusted hops are skipped');
  const notProxy = await proxied.authenticate(req('198.51.100.2', { ...basic('a', 'pw'), 'x-forwarded-for': '203.0.113.9' }));
  t.match(notProxy, { ok: false, client: '198.51.100.2' }, 'from a source that is not a trusted proxy: the header is ignored');
});

t.test('clientAddress', async (t) => {
  const trusted = new CidrList(['127.0.0.0/8', '::1/128']);
  t.equal(clientAddress(req('::ffff:127.0.0.1', { 'x-forwarded-for': '::ffff:192.0.2.1' }), trusted), '192.0.2.1');
  t.equal(clientAddress(req('127.0.0.1'), trusted), '127.0.0.1', 'no header: the proxy itself');
  t.equal(clientAddress(req('::1', { 'x-forwarded-for': '127.0.0.2, ::1' }), trusted), '127.0.0.2', 'every hop trusted: the first');
  t.equal(clientAddress(req('192.0.2.1', { 'x-forwarded-for': '127.0.0.1' }), new CidrList([])), '192.0.2.1');
});
