// `mmsc apikey new` as an operator runs it (bin/mmsc -> dist/; `npm test` builds first): the key printed once,
// the YAML entry to paste, which pasted into a config file authenticates the key; usage errors exit 1.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/ops/config.js';
import { VaspDirectory } from '../../src/vasp/accounts.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';

const mmsc = (args: string[]) => spawnSync(process.execPath, [MMSC_BIN, ...args], { cwd: ROOT, timeout: 30_000, encoding: 'utf8' });

/** The key line and the entry lines of the output (comments dropped). */
function parts(stdout: string): { key: string; entry: string[] } {
  const lines = stdout.trimEnd().split('\n');
  const code = lines.filter((l) => !l.startsWith('#'));
  return { key: code[0]!, entry: code.slice(1) };
}

t.test('prints a new 256-bit key once and its config entry, which pasted into a config authenticates it', async (t) => {
  const r = mmsc(['apikey', 'new', '--name', 'ci-2030', '--scope', 'send']);
  t.equal(r.status, 0, r.stderr);
  const { key, entry } = parts(r.stdout);
  t.match(key, /^mmsc_[A-Za-z0-9_-]{43}$/, 'mmsc_ and the base64url of 32 bytes');
  t.equal(Buffer.from(key.slice('mmsc_'.length), 'base64url').length, 32);
  const hash = `sha256:${createHash('sha256').update(key).digest('hex')}`;
  t.strictSame(entry, ['apiKeys:', '  - name: ci-2030', `    hash: ${hash}`, '    scope: send']);
  t.equal(r.stdout.split(key).length, 2, 'the key appears once');

  // Pasted under an account in a YAML config file, as the docs say.
  const file = join(mkdtempSync(join(tmpdir(), 'mmsc-apikey-')), 'mmsc.yaml');
  const account = ['mm7:', '  vasps:', '    - id: shop', '      username: shop', '      senders: ["12345"]'];
  writeFileSync(file, [...account, ...entry.map((l) => `      ${l}`), ''].join('\n'));
  const config = loadConfig({ file, env: {} });
  t.strictSame(config.mm7.vasps[0]!.apiKeys, [{ name: 'ci-2030', hash, scope: 'send' }]);
  const request = { headers: { authorization: `Bearer ${key}` }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  t.match(await new VaspDirectory(config.mm7.vasps).authenticate(request, 'rest'), {
    ok: true,
    vasp: { id: 'shop' },
    scope: 'send',
    key: 'ci-2030',
  });
});

t.test('defaults: a dated name, scope full; every run a different key', async (t) => {
  const a = parts(mmsc(['apikey', 'new']).stdout);
  const b = parts(mmsc(['apikey', 'new']).stdout);
  t.match(a.entry[1], /^ {2}- name: key-\d{4}-\d{2}-\d{2}-[0-9a-f]{4}$/);
  t.equal(a.entry[3], '    scope: full');
  t.not(a.key, b.key);
  t.not(a.entry[2], b.entry[2]);
});

t.test('usage errors exit 1 and print nothing on stdout', async (t) => {
  for (const args of [
    ['apikey'],
    ['apikey', 'new', '--scope', 'admin'],
    ['apikey', 'new', '--name', 'has space'],
    ['apikey', 'new', '--bogus'],
  ]) {
    const r = mmsc(args);
    t.equal(r.status, 1, args.join(' '));
    t.equal(r.stdout, '', `${args.join(' ')}: no key printed`);
    t.match(r.stderr, /mmsc apikey new \[--name NAME\]/);
  }
  t.match(mmsc(['apikey', '--help']).stdout, /mmsc apikey new/);
  t.match(mmsc(['--help']).stdout, /mmsc apikey new/, 'in the whole usage');
});
