// Reload (src/ops/reload.ts): the diff and the reloader contract in-process, then a real `mmsc serve` given
// SIGHUP after its config file changed: a VASP added can submit, one removed cannot, the SMSC bind stays up,
// a changed listener port is reported 'restart required', and a bad file is refused with the key named.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigSchema, loadConfig, type Config } from '../../src/ops/config.js';
import { ConfigReloader, diffConfig } from '../../src/ops/reload.js';
import { captureLog } from '../helpers/log-capture.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const vasp = (id: string, password = 'pw') => ({ id, username: id, password, senders: [`${id.length}000`] });
const base = (extra: Record<string, unknown> = {}) => ({
  ops: { port: 0 },
  mm1: { port: 0 },
  mm7: { port: 0, vasps: [vasp('old')] },
  ...extra,
});

t.test('diffConfig names each changed key, and list entries by id, never values', async (t) => {
  const a = ConfigSchema.parse(base());
  const b = ConfigSchema.parse({ ...base(), mm7: { port: 8123, vasps: [vasp('old', 'secret2'), vasp('new')] } });
  t.strictSame(diffConfig(a, b), [
    { key: 'mm7.port', detail: ['mm7.port: changed'] },
    { key: 'mm7.vasps', detail: ['mm7.vasps[old]: changed (password)', 'mm7.vasps[new]: added'] },
  ]);
  t.notMatch(JSON.stringify(diffConfig(a, b)), /secret2/, 'no value in the report');
  t.strictSame(diffConfig(a, a), []);
});

t.test('ConfigReloader: applies what reloaders claim, reports the rest restart required, refuses a bad config', async (t) => {
  const { log, lines } = captureLog('info');
  let next: () => Config = () => ConfigSchema.parse(base());
  const reloader = new ConfigReloader(ConfigSchema.parse(base()), () => next(), log);
  const seen: string[] = [];
  reloader.register({ name: 'vasps', keys: ['mm7.vasps'], apply: (n) => [`vasps: ${n.mm7.vasps.map((v) => v.id).join(',')}`] });
  reloader.register({ name: 'certs', keys: [], always: true, apply: () => void seen.push('certs') });

  next = () => ConfigSchema.parse({ ...base(), mm7: { port: 9000, vasps: [vasp('new')] } });
  t.strictSame(await reloader.reload(), {
    ok: true,
    changed: ['mm7.port: changed', 'mm7.vasps[new]: added', 'mm7.vasps[old]: removed'],
    applied: ['vasps: new'],
    restartRequired: ['mm7.port'],
  });
  t.equal(reloader.config.mm7.vasps[0]?.id, 'new', 'the new config is in force');
  t.strictSame(seen, ['certs'], 'an always-reloader ran');
  t.match(lines.at(-1), { msg: 'reloaded; some changes need a restart', restartRequired: ['mm7.port'] });

  next = () => {
    throw new Error('mm7.vasps.0.password: Too small');
  };
  t.strictSame(await reloader.reload(), { ok: false, error: 'mm7.vasps.0.password: Too small' });
  t.equal(reloader.config.mm7.vasps[0]?.id, 'new', 'refused: the config in force is kept');
  t.match(lines.at(-1), { msg: 'reload refused: the config in force is kept', err: { message: /mm7\.vasps/ } });

  // A reloader that cannot apply: refused, the config in force kept.
  reloader.register({
    name: 'broken',
    keys: ['mm1.pushRate'],
    apply: () => {
      throw new Error('no');
    },
  });
  next = () => ConfigSchema.parse({ ...base(), mm1: { port: 0, pushRate: 5 }, mm7: { port: 9000, vasps: [vasp('new')] } });
  t.strictSame(await reloader.reload(), { ok: false, error: 'broken: no' });
  t.equal(reloader.config.mm1.pushRate, 100);
});

t.test('loadConfig errors name the key (what a refused reload reports)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-reload-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(base({ mm7: { port: 0, vasps: [{ ...vasp('x'), password: '' }] } })));
  t.throws(() => loadConfig({ file, env: {} }), /mm7\.vasps/);
});

/** POST an MM7 SubmitReq as `user`; the HTTP status and the MM7 StatusCode if any. */
function submit(url: string, user: string, shortCode: string): Promise<{ status: number; code?: string }> {
  const { contentType, body } = mm7SubmitReq({
    vasp: user,
    shortCode,
    to: ['+15550001111'],
    parts: [{ type: 'text/plain', name: 't.txt', body: Buffer.from('hi') }],
  });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const code = /<StatusCode>(\d+)<\/StatusCode>/.exec(text)?.[1];
          resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('mmsc serve: SIGHUP after the config file changed applies VASP accounts, keeps the SMSC bind', async (t) => {
  const smsc = await startSmsc({ systemId: 'gw', password: 'pw' });
  const added = await startSmsc({ systemId: 'gw', password: 'pw' });
  t.teardown(() => Promise.all([smsc.stop(), added.stop()]));
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-reload-'));
  const file = join(dir, 'mmsc.json');
  const smpp = { smscs: [{ id: 'smsc1', host: '127.0.0.1', port: smsc.port, systemId: 'gw', password: 'pw' }] };
  const write = (mm7: Record<string, unknown>) => writeFileSync(file, JSON.stringify(base({ smpp, mm7 })));
  write({ port: 0, vasps: [vasp('old')] });

  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: '' };
  for (const k of Object.keys(env)) if (k.startsWith('MMSC_')) delete env[k];
  const child = spawn(process.execPath, [MMSC_BIN, 'serve', '--config', file], { cwd: ROOT, env });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  await until('the mm7 listener line', () => /^mm7\s+listening on (\S+)/m.test(out), 15_000);
  const mm7 = /^mm7\s+listening on (\S+)/m.exec(out)![1]!;
  await until('the SMSC bind', () => smsc.binds.length === 1 && smsc.sessions === 1, 15_000);

  t.match(await submit(mm7, 'old', '3000'), { status: 200, code: '1000' }, 'before: old submits');
  t.match(await submit(mm7, 'new', '3000'), { status: 401 }, 'before: new is unknown');

  smpp.smscs.push({ id: 'smsc2', host: '127.0.0.1', port: added.port, systemId: 'gw', password: 'pw' });
  write({ port: 1, vasps: [vasp('new')] });
  child.kill('SIGHUP');
  await until('the reload log line', () => /"msg":"reloaded/.test(err));
  const line = JSON.parse(err.split('\n').find((l) => l.includes('"msg":"reloaded'))!) as Record<string, unknown>;
  t.strictSame(line.restartRequired, ['mm7.port'], 'the listener port needs a restart, and says so');
  t.strictSame(line.changed, ['mm7.port: changed', 'mm7.vasps[new]: added', 'mm7.vasps[old]: removed', 'smpp.smscs[smsc2]: added']);
  t.strictSame(line.applied, ['smpp.smscs[smsc2]: added, binding', 'mm7.vasps: 1 accounts in force, and their routes']);
  await until('the SMSC added is bound', () => added.binds.length === 1 && added.sessions === 1);
  t.match(await submit(mm7, 'new', '3000'), { status: 200, code: '1000' }, 'after: the VASP added submits');
  t.match(await submit(mm7, 'old', '3000'), { status: 401 }, 'after: the VASP removed is refused');
  t.equal(smsc.binds.length, 1, 'no new bind');
  t.equal(smsc.sessions, 1, 'the SMSC session is still there');
  t.equal(smsc.unbinds, 0, 'and was never unbound');

  // A bad file: refused with the key named, the accounts in force kept.
  writeFileSync(file, JSON.stringify(base({ smpp, mm7: { port: 0, vasps: [{ ...vasp('new'), password: '' }] } })));
  child.kill('SIGHUP');
  await until('the refusal log line', () => /reload refused/.test(err));
  t.match(err, /"err":{[^}]*"message":"[^"]*mm7\.vasps[^"]*"[^}]*}.*reload refused/, 'the error names the key');
  t.match(await submit(mm7, 'new', '3000'), { status: 200, code: '1000' }, 'the config in force is kept');
});
