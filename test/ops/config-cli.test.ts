// `mmsc config check|print|example` and their --help (src/ops/config-cli.ts), run as functions with their
// output captured: check's verdict and exit status, print's effective configuration with every secret hidden.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { z } from 'zod';
import { configCli, isConfigCliCommand } from '../../src/ops/config-cli.js';
import { configExample } from '../../src/ops/config-example.js';
import { REDACTED, redactConfig } from '../../src/ops/config-redact.js';
import { secret, verifiableSecret } from '../../src/ops/secret.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'mmsc-config-cli-'));
function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const status = configCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s), env });
  return { status, out, err };
}

const GOOD = write(
  'good.yaml',
  'ops:\n  port: 9999\nmm7:\n  vasps:\n    - id: v\n      username: u\n      password: p4ss-vasp\n      senders: ["12345"]\n',
);

t.test('check: a valid file is one line "OK" and exit 0', async (t) => {
  const r = run(['check', GOOD]);
  t.equal(r.status, 0);
  t.equal(r.out, `${GOOD}: OK (with the environment)\n`);
  t.equal(r.err, '');
  t.equal(run(['check', '--file-only', GOOD]).out, `${GOOD}: OK\n`);
});

t.test('check: an invalid file exits 1 with one line per problem, naming the key and its line', async (t) => {
  const bad = write(
    'bad.yaml',
    'ops:\n  port: 70000\n  prot: 1\nmm7:\n  vasps:\n    - id: v\n      username: u\n      password: p\n      senders: ["12345"]\n      rate: -1\n',
  );
  const r = run(['check', bad]);
  t.equal(r.status, 1);
  t.equal(r.out, '');
  const lines = r.err.trimEnd().split('\n');
  t.equal(lines[0], `${bad}: invalid`);
  t.equal(lines.length, 4, r.err);
  t.match(r.err, new RegExp(`\\n  ops\\.port: .*\\(from file ${bad.replace(/[.]/g, '\\.')}:2\\)\\n`));
  t.match(r.err, /\n {2}ops\.prot: unknown key \(from file .*:3\)\n/);
  t.match(r.err, /\n {2}mm7\.vasps\.0\.rate: Too small: expected number to be >0 \(from file .*:10\)\n/);
  // A syntax error too.
  const syntax = run(['check', write('syntax.json', '{"ops": {"port": 1,}}')]);
  t.equal(syntax.status, 1);
  t.match(syntax.err, /not valid JSON at line 1, column 20/);
});

t.test('check: the environment is laid over the file unless --file-only; unknown variables are warned about', async (t) => {
  const r = run(['check', GOOD], { MMSC_OPS_PORT: 'ninety' });
  t.equal(r.status, 1);
  t.match(r.err, /ops\.port: .*\(from env MMSC_OPS_PORT\)/);
  t.equal(run(['check', '--file-only', GOOD], { MMSC_OPS_PORT: 'ninety' }).status, 0);
  const w = run(['check', GOOD], { MMSC_OPS_PROT: '1' });
  t.equal(w.status, 0);
  t.match(w.err, /^warning: unknown environment variable MMSC_OPS_PROT ignored \(did you mean MMSC_OPS_PORT\?\)\n$/);
});

t.test('check: no file, or two, is a usage error', async (t) => {
  t.equal(run(['check']).status, 1);
  t.match(run(['check']).err, /give one FILE\nusage: mmsc config check FILE/);
  t.equal(run(['check', GOOD, GOOD]).status, 1);
});

/** A configuration with a secret in every kind of place, each value unique so that a leak can be searched for. */
const SECRETS = {
  vasp: 'vasp-pw-1',
  smsc: 'smscpw2',
  token: 'tokensecret-0123456789',
  peerIn: 'peer-in-pw-3',
  peerOut: 'peer-out-pw-4',
  relay: 'relay-pw-5',
  redis: 'redis-pw-6',
  pap: 'pap-pw-7',
};
const SECRET_FILE = write(
  'secrets.json',
  JSON.stringify({
    mm7: { vasps: [{ id: 'v', username: 'vasp-user', password: SECRETS.vasp, senders: ['12345'] }] },
    smpp: { smscs: [{ id: 's', host: '127.0.0.1', systemId: 'sys', password: SECRETS.smsc }] },
    mm1: { tokenSecret: SECRETS.token, push: 'pap', papUrl: `http://ppg-user:${SECRETS.pap}@127.0.0.1:9000/pap` },
    mm4: {
      domains: ['mms.example.net'],
      peers: [
        {
          id: 'p',
          domain: 'mms.peer.example',
          authUser: 'peer',
          authPassword: SECRETS.peerIn,
          out: { host: '127.0.0.1', authUser: 'us', authPassword: SECRETS.peerOut },
        },
      ],
    },
    mm3: { relayUser: 'relay-user', relayPassword: SECRETS.relay },
  }),
);

t.test('print: the effective configuration (defaults, file, environment) as YAML, every secret redacted', async (t) => {
  const r = run(['print', '--config', SECRET_FILE], { MMSC_OPS_PORT: '9999', REDIS_URL: `redis://:${SECRETS.redis}@127.0.0.1:6379/0` });
  t.equal(r.status, 0, r.err);
  for (const [where, value] of Object.entries(SECRETS)) t.notOk(r.out.includes(value), `${where} secret not printed`);
  t.match(r.out, /^# effective configuration: defaults, .*secrets\.json, environment; secrets redacted\n/);
  const c = parse(r.out) as Record<string, Record<string, unknown>>;
  t.equal(c.ops?.port, 9999, 'from the environment');
  t.equal(c.queue?.maxAttempts, 10, 'a default');
  t.equal(c.mm1?.publicUrl, 'http://127.0.0.1:8190', 'a derived value');
  t.match(c.mm7?.vasps, [{ id: 'v', username: 'vasp-user', password: REDACTED }]);
  t.match(c.smpp?.smscs, [{ password: REDACTED, systemId: 'sys' }]);
  t.equal(c.mm1?.tokenSecret, REDACTED);
  t.equal(c.mm1?.papUrl, 'http://ppg-user:redacted@127.0.0.1:9000/pap');
  t.equal(c.redis?.url, 'redis://:redacted@127.0.0.1:6379/0');
  t.match(c.mm4?.peers, [{ authUser: 'peer', authPassword: REDACTED, out: { authUser: 'us', authPassword: REDACTED } }]);
  t.equal(c.mm3?.relayPassword, REDACTED);
  t.equal(c.mm3?.relayUser, 'relay-user');
});

t.test('print --json; MMSC_CONFIG names the file when --config does not', async (t) => {
  const r = run(['print', '--json'], { MMSC_CONFIG: SECRET_FILE });
  t.equal(r.status, 0, r.err);
  const c = JSON.parse(r.out) as Record<string, Record<string, unknown>>;
  t.match(c.mm7?.vasps, [{ password: REDACTED }]);
  t.notOk(r.out.includes(SECRETS.vasp));
  const bad = run(['print', '--config', write('bad-print.yaml', 'ops:\n  port: x\n')]);
  t.equal(bad.status, 1);
  t.match(bad.err, /^ops\.port: .*:2\)\n$/);
});

t.test('redaction follows SECRET_META, whatever the key is called, and keeps an empty value', async (t) => {
  const schema = z.object({
    a: secret(),
    plain: z.string(),
    list: z.array(z.object({ k: verifiableSecret().optional(), n: z.number() })),
    empty: secret().default(''),
  });
  const value = schema.parse({
    a: 'x1',
    plain: 'visible',
    list: [{ k: 'scrypt$16$1$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', n: 1 }, { n: 2 }],
  });
  t.strictSame(redactConfig(value, schema), {
    a: REDACTED,
    plain: 'visible',
    list: [{ k: `${REDACTED} (scrypt hash)`, n: 1 }, { n: 2 }],
    empty: '',
  });
});

t.test('example prints the generated example; --help for each command', async (t) => {
  const r = run(['example']);
  t.equal(r.status, 0);
  t.equal(r.out, configExample());
  for (const sub of ['check', 'print', 'example', 'reference']) {
    const h = run([sub, '--help']);
    t.equal(h.status, 0);
    t.match(h.out, new RegExp(`^usage: mmsc config ${sub}`), sub);
  }
  t.match(run(['--help']).out, /^usage: mmsc config check\|print\|example\|reference/);
  t.match(run(['help', 'print']).out, /^usage: mmsc config print/);
  t.ok(isConfigCliCommand(['reference', '--help']));
  t.notOk(isConfigCliCommand(['reference']), 'reference stays in cli.ts');
  t.equal(run(['nonsense']).status, 1);
});

t.test('the real command (bin/mmsc -> dist/, built by npm test) dispatches to them', async (t) => {
  const mmsc = (args: string[]) =>
    spawnSync(process.execPath, [MMSC_BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH }, timeout: 30_000, encoding: 'utf8' });
  const ok = mmsc(['config', 'check', 'deploy/mmsc.example.yaml']);
  t.equal(ok.status, 0, ok.stderr);
  t.equal(ok.stdout, 'deploy/mmsc.example.yaml: OK (with the environment)\n');
  const bad = mmsc(['config', 'check', write('bin-bad.yaml', 'ops:\n  port: 70000\n')]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /ops\.port: .*bin-bad\.yaml:2\)/);
  const json = mmsc(['config', 'print', '--json', '--config', SECRET_FILE]);
  t.equal(json.status, 0, json.stderr);
  t.match(JSON.parse(json.stdout), { mm7: { vasps: [{ password: REDACTED }] } });
  const bare = mmsc(['config']);
  t.equal(bare.status, 1);
  t.match(bare.stderr, /^usage: mmsc config check\|print\|example\|reference/);
  t.equal(mmsc(['config', 'reference', '--help']).status, 0);
});
