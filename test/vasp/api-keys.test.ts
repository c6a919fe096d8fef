// API keys (issue 24): the config entries (name, sha256 hash, scope; a bad hash fails naming the key) and the
// Bearer authentication of VaspDirectory: the right key gives its account, scope and name; a wrong one, the
// hash itself, a key one character off or a malformed header are 401 with a Bearer challenge; a Bearer on MM7
// is 401 with Basic's; allowIps still applies. Hashes are computed here with node:crypto, not by the code.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { VaspDirectory } from '../../src/vasp/accounts.js';

const KEY_FULL = 'mmsc_full-key-Xq2bV9kPz7LmR4tY8wE1aS6dF3gH0jK5lZ';
const KEY_READ = 'mmsc_read-key-Hn4mB7vC2xZ9qW5eR8tY1uI6oP3aS0dF';
const KEY_SEND = 'mmsc_send-key-Lk8jH5gF2dS9aQ6wE3rT0yU7iO4pZ1xC';
const KEY_FENCED = 'mmsc_fenced-key-Pq9wE6rT3yU0iO7pA4sD1fG8hJ5kL2z';
const sha = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;

function req(from: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: { remoteAddress: from } } as unknown as IncomingMessage;
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function mm7(vasps: Record<string, unknown>[]) {
  return ConfigSchema.parse({ mm7: { vasps: vasps.map((v) => ({ senders: ['7050'], ...v })) } }).mm7;
}

const ACCOUNTS = mm7([
  {
    id: 'acme',
    username: 'acme',
    password: 'pw-acme',
    apiKeys: [
      { name: 'ci', hash: sha(KEY_FULL) },
      { name: 'dashboard', hash: sha(KEY_READ), scope: 'read' },
      // Upper-case hex is taken (and compared lowercased).
      { name: 'shop', hash: sha(KEY_SEND).toUpperCase().replace('SHA256:', 'sha256:'), scope: 'send' },
    ],
  },
  // An account with keys only: no password, no certificate.
  { id: 'fenced', username: 'fenced', apiKeys: [{ name: 'office', hash: sha(KEY_FENCED) }], allowIps: ['192.0.2.0/24'] },
]);

t.test('config: several keys per account, scope full by default, an account with keys only', async (t) => {
  t.strictSame(ACCOUNTS.vasps[0]!.apiKeys, [
    { name: 'ci', hash: sha(KEY_FULL), scope: 'full' },
    { name: 'dashboard', hash: sha(KEY_READ), scope: 'read' },
    { name: 'shop', hash: sha(KEY_SEND), scope: 'send' },
  ]);
  t.equal(ACCOUNTS.vasps[1]!.password, undefined);
  t.match(ConfigSchema.safeParse({ mm7: { vasps: [{ id: 'a', username: 'a', senders: ['7050'], apiKeys: [] }] } }).error?.issues[0], {
    path: ['mm7', 'vasps', 0, 'password'],
    message: /a password, a clientCert or an API key/,
  });
});

t.test('config: a bad hash fails at start naming the key; so do a pasted key, a duplicate name and a bad name', async (t) => {
  const issue = (apiKeys: unknown) =>
    ConfigSchema.safeParse({ mm7: { vasps: [{ id: 'a', username: 'a', password: 'p', senders: ['7050'], apiKeys }] } }).error?.issues[0];
  t.match(issue([{ name: 'ci', hash: 'md5:0123' }]), {
    path: ['mm7', 'vasps', 0, 'apiKeys', 0, 'hash'],
    message: /^API key ci: expected sha256:<64 hex digits>/,
  });
  t.match(
    issue([
      { name: 'ok', hash: sha(KEY_FULL) },
      { name: 'ci', hash: `sha256:${'a'.repeat(63)}` },
    ]),
    {
      path: ['mm7', 'vasps', 0, 'apiKeys', 1, 'hash'],
      message: /API key ci/,
    },
  );
  t.match(issue([{ name: 'ci', hash: KEY_FULL }]), { message: /API key ci: this is a key itself, not its hash/ });
  t.match(
    issue([
      { name: 'ci', hash: sha(KEY_FULL) },
      { name: 'ci', hash: sha(KEY_READ) },
    ]),
    {
      path: ['mm7', 'vasps', 0, 'apiKeys', 1, 'name'],
      message: /API key name ci appears twice/,
    },
  );
  t.match(
    issue([
      { name: 'a', hash: sha(KEY_FULL) },
      { name: 'b', hash: sha(KEY_FULL) },
    ]),
    { message: /API key b: the same hash/ },
  );
  t.match(issue([{ name: 'a b', hash: sha(KEY_FULL) }]), { path: ['mm7', 'vasps', 0, 'apiKeys', 0, 'name'] });
  t.match(issue([{ name: 'ci', hash: sha(KEY_FULL), scope: 'admin' }]), { path: ['mm7', 'vasps', 0, 'apiKeys', 0, 'scope'] });
  t.match(issue([{ name: 'ci', hash: sha(KEY_FULL), key: KEY_FULL }]), { code: 'unrecognized_keys' }, 'no field for the key itself');
  t.throws(
    () =>
      new VaspDirectory(
        mm7([
          { id: 'a', username: 'a', apiKeys: [{ name: 'x', hash: sha(KEY_FULL) }] },
          { id: 'b', username: 'b', apiKeys: [{ name: 'y', hash: sha(KEY_FULL) }] },
        ]).vasps,
      ),
    /API key y of VASP b is key x of VASP a/,
    'one key in two accounts is refused (start and reload)',
  );
});

t.test('the right key: its account, scope and name', async (t) => {
  const dir = new VaspDirectory(ACCOUNTS.vasps);
  t.match(await dir.authenticate(req('127.0.0.1', bearer(KEY_FULL)), 'rest'), {
    ok: true,
    vasp: { id: 'acme' },
    by: 'apikey',
    scope: 'full',
    key: 'ci',
  });
  t.match(await dir.authenticate(req('127.0.0.1', bearer(KEY_READ)), 'rest'), { ok: true, scope: 'read', key: 'dashboard' });
  t.match(await dir.authenticate(req('127.0.0.1', bearer(KEY_SEND)), 'rest'), { ok: true, scope: 'send', key: 'shop' });
  t.match(
    await dir.authenticate(req('127.0.0.1', { authorization: `bearer   ${KEY_FULL} ` }), 'rest'),
    { ok: true, key: 'ci' },
    'scheme any case (RFC 9110 §11.1)',
  );
  t.match(await dir.authenticate(req('127.0.0.1', { authorization: `Basic ${Buffer.from('acme:pw-acme').toString('base64')}` }), 'rest'), {
    ok: true,
    by: 'basic',
    scope: 'full',
    key: undefined,
  });
});

t.test('a wrong key, the hash itself, near misses and malformed headers: 401 with a Bearer challenge', async (t) => {
  const dir = new VaspDirectory(ACCOUNTS.vasps);
  const tries: Array<[string, string]> = [
    ['unknown key', 'Bearer mmsc_not-a-key-of-anyone-at-all-0000000000000'],
    ['the stored hash', `Bearer ${sha(KEY_FULL)}`],
    ['the hex of the hash', `Bearer ${sha(KEY_FULL).slice('sha256:'.length)}`],
    ['one character off', `Bearer ${KEY_FULL.slice(0, -1)}Y`],
    ['a prefix', `Bearer ${KEY_FULL.slice(0, 20)}`],
    ['one character more', `Bearer ${KEY_FULL}x`],
    ['another case', `Bearer ${KEY_FULL.toUpperCase()}`],
    ['no token', 'Bearer'],
    ['no token, a space', 'Bearer '],
    ['not a b64token', `Bearer ${KEY_FULL} extra`],
    ['control bytes', `Bearer mmsc_\u0000\u0001`],
    ['far too long', `Bearer ${'a'.repeat(100_000)}`],
  ];
  for (const [what, authorization] of tries) {
    const a = await dir.authenticate(req('127.0.0.1', { authorization }), 'rest');
    t.match(a, { ok: false, status: 401, challenge: /^Bearer / }, what);
  }
});

t.test('no keys configured anywhere: a Bearer is an unknown key (the comparison runs against a digest of its own)', async (t) => {
  const dir = new VaspDirectory(mm7([{ id: 'a', username: 'a', password: 'pw' }]).vasps);
  t.match(await dir.authenticate(req('127.0.0.1', bearer(KEY_FULL)), 'rest'), { ok: false, status: 401, challenge: /^Bearer / });
  t.match(
    await dir.authenticate(req('127.0.0.1', bearer(`sha256:${'x'.repeat(64)}`)), 'rest'),
    { ok: false, status: 401 },
    'nor the decoy',
  );
});

t.test('API keys authenticate the REST API only: a Bearer on MM7 is 401 with the Basic challenge', async (t) => {
  const dir = new VaspDirectory(ACCOUNTS.vasps);
  const a = await dir.authenticate(req('127.0.0.1', bearer(KEY_FULL)), 'mm7');
  t.match(a, { ok: false, status: 401, challenge: /^Basic /, reason: /REST API \(\/v1\/\) only/ });
  t.match(await dir.authenticate(req('127.0.0.1', bearer(KEY_FULL))), { ok: false, status: 401 }, 'MM7 unless the caller says REST');
});

t.test('a key-only account: no Basic; allowIps still applies to its keys', async (t) => {
  const dir = new VaspDirectory(ACCOUNTS.vasps);
  t.match(await dir.authenticate(req('192.0.2.7', bearer(KEY_FENCED)), 'rest'), { ok: true, vasp: { id: 'fenced' }, key: 'office' });
  t.match(await dir.authenticate(req('198.51.100.7', bearer(KEY_FENCED)), 'rest'), {
    ok: false,
    status: 403,
    reason: /source address 198\.51\.100\.7 not allowed for VASP fenced/,
  });
  t.match(await dir.authenticate(req('192.0.2.7', { authorization: `Basic ${Buffer.from('fenced:').toString('base64')}` }), 'rest'), {
    ok: false,
    status: 401,
    challenge: /^Basic /,
  });
});
