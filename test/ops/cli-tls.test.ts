// The real command (bin/mmsc -> dist/; `npm test` builds first): `mmsc secret hash`, and `mmsc serve` with
// HTTPS on the ops listener, whose startup line says https and loopback, and which serves a renewed
// certificate after SIGHUP.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { matchSecret } from '../../src/ops/secret.js';
import { makePki } from '../helpers/certs.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { until } from '../helpers/until.js';

t.test('mmsc secret hash: an scrypt hash of stdin that verifiableSecret takes and matchSecret accepts', async (t) => {
  const r = spawnSync(process.execPath, [MMSC_BIN, 'secret', 'hash'], { cwd: ROOT, input: 'correct horse\n', timeout: 30_000 });
  t.equal(r.status, 0, String(r.stderr));
  const hash = String(r.stdout).trim();
  t.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.equal(await matchSecret(hash, 'correct horse'), true, 'the newline is not part of the secret');
  t.equal(await matchSecret(hash, 'correct horse\n'), false);
  const again = String(spawnSync(process.execPath, [MMSC_BIN, 'secret', 'hash'], { cwd: ROOT, input: 'correct horse' }).stdout).trim();
  t.not(again, hash, 'a fresh salt each time');
  const parsed = ConfigSchema.parse({ mm7: { vasps: [{ id: 'a', username: 'a', password: hash, senders: ['7050'] }] } });
  t.equal(parsed.mm7.vasps[0]!.password, hash);
  const empty = spawnSync(process.execPath, [MMSC_BIN, 'secret', 'hash'], { cwd: ROOT, input: '' });
  t.equal(empty.status, 1, 'an empty secret is refused');
});

function servedBy(url: string, ca: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(ca), agent: false }, (res) => {
      const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN;
      res.resume();
      res.on('end', () => resolve(Array.isArray(cn) ? cn[0] : cn));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('mmsc serve: ops over HTTPS on loopback says so; SIGHUP serves the renewed certificate', async (t) => {
  const pki = makePki(t);
  const one = pki.server('first.test');
  const two = pki.server('second.test');
  const live = pki.live(one);
  const { certFile, keyFile } = live;
  const config = join(pki.dir, 'mmsc.json');
  writeFileSync(config, JSON.stringify({ ops: { port: 0, tls: { certFile, keyFile } }, mm1: { enabled: false }, mm7: { enabled: false } }));
  const child = spawn(process.execPath, [MMSC_BIN, 'serve', '--config', config], {
    cwd: ROOT,
    env: { ...process.env, MMSC_LOG_LEVEL: 'info' },
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await until(
    'the ops line',
    () => /^ops {3}listening on (https:\/\/127\.0\.0\.1:\d+) \(loopback only\)$/m.exec(out)?.[1],
    15_000,
  ).catch((e: Error) => Promise.reject(new Error(`${e.message}: ${out} ${err}`)));
  t.equal(await servedBy(`${url}/healthz`, pki.ca), 'first.test');
  live.renew(two);
  child.kill('SIGHUP');
  t.equal(
    await until(
      'the renewed certificate',
      async () => ((await servedBy(`${url}/healthz`, pki.ca)) === 'second.test' ? 'second.test' : undefined),
      10_000,
    ),
    'second.test',
  );
  t.equal(child.exitCode, null, 'SIGHUP did not end the process');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  t.equal(child.exitCode, 0);
});
