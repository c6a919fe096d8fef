// The MM4 listener's TLS (mm4.tlsMode): STARTTLS and implicit TLS with a certificate and key from files (a
// self-signed one made here with openssl), AUTH only once TLS is up, the files checked at start, the metric.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm4Server } from '../../src/mm4/server.js';
import { ConfigError } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { DOMAIN, forwardReq, LOCAL, mm4Config, PEER_FROM, startMm4, transaction } from '../helpers/mm4-listener.js';
import { RawSmtp } from '../helpers/smtp-raw.js';

/** A self-signed certificate for localhost and 127.0.0.1 (P-256: quick to make), in a directory removed at the end. */
function makeCert(name: string): { certFile: string; keyFile: string; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'mm4-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: execFileSync('cat', [certFile]) };
}

const A = makeCert('a');
const B = makeCert('b');
const HUB = { id: 'hub', allow: ['127.0.0.1/32'], authUser: 'hub', authPassword: 'secret-pw' };
const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');

async function open(t: Test, port: number, tls?: { ca: Buffer }) {
  const { raw, greeting } = await RawSmtp.open(port, tls ? { tls } : {});
  t.teardown(() => raw.end());
  t.match(greeting, /^220 /, 'greeted');
  return raw;
}

t.test('STARTTLS: offered; AUTH only once TLS is up; then a forward is taken (nodemailer, certificate verified)', async (t) => {
  const { port, queue, metrics } = await startMm4(t, {
    tlsMode: 'starttls',
    tlsCertFile: A.certFile,
    tlsKeyFile: A.keyFile,
    peers: [HUB],
  });
  const raw = await open(t, port);
  const ehlo = await raw.send('EHLO peer.example');
  t.match(ehlo, /250[- ]STARTTLS/);
  t.notMatch(ehlo, /AUTH/, 'no AUTH offered in clear');
  t.notMatch(await raw.send(`AUTH PLAIN ${plain('hub', 'secret-pw')}`), /^235/, 'AUTH in clear is refused');
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}>`), /^550 5\.7\.1 /, 'nobody until AUTH');
  t.match(await raw.starttls(A.cert), /^220 /);
  t.ok(raw.secure);
  t.match(await raw.send('EHLO peer.example'), /250[- ]AUTH PLAIN LOGIN/, 'AUTH offered over TLS');
  t.match(await raw.send(`AUTH PLAIN ${plain('hub', 'secret-pw')}`), /^235 /);
  t.match(await transaction(raw, forwardReq(), { ehlo: false }), /^250 2\.6\.0 queued as /);

  const mailer = createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    auth: { user: 'hub', pass: 'secret-pw' },
    tls: { ca: A.cert, servername: 'localhost' },
  });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({
    envelope: { from: PEER_FROM, to: [`${LOCAL}/TYPE=PLMN@${DOMAIN}`] },
    raw: forwardReq({ messageId: 'msg-0002@mms.mnc002.mcc001.gprs' }),
  });
  t.match(info.response, /^250 2\.6\.0 queued as /);
  t.equal((await queue.stats()).waiting, 2);
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm4_tls_sessions_total\{peer="unknown",mode="starttls",protocol="TLSv1\.[23]",service="mmsc"\} 2/,
  );
});

t.test('STARTTLS: a log-in before it (mm4.tlsAllowInsecureAuth) is forgotten once TLS is up (RFC 3207 §4.2)', async (t) => {
  const { port } = await startMm4(t, {
    tlsMode: 'starttls',
    tlsCertFile: A.certFile,
    tlsKeyFile: A.keyFile,
    tlsAllowInsecureAuth: true,
    peers: [HUB],
  });
  const raw = await open(t, port);
  t.match(await raw.send('EHLO peer.example'), /250[- ]AUTH PLAIN LOGIN/, 'AUTH offered in clear when the operator allows it');
  t.match(await raw.send(`AUTH PLAIN ${plain('hub', 'secret-pw')}`), /^235 /);
  await raw.starttls(A.cert);
  await raw.send('EHLO peer.example');
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}>`), /^550 5\.7\.1 /, 'the identity from before TLS is gone');
  t.match(await raw.send(`AUTH PLAIN ${plain('hub', 'secret-pw')}`), /^235 /, 'a log-in over TLS is taken');
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}>`), /^250 /);
});

t.test('implicit TLS: the handshake first, a peer by its address, the metric names it', async (t) => {
  const { port, queue, metrics } = await startMm4(t, { tlsMode: 'implicit', tlsCertFile: A.certFile, tlsKeyFile: A.keyFile });
  const raw = await open(t, port, { ca: A.cert });
  t.notMatch(await raw.send('EHLO peer.example'), /STARTTLS/, 'no STARTTLS on a TLS connection');
  t.match(await transaction(raw, forwardReq(), { ehlo: false }), /^250 2\.6\.0 queued as /);
  const mailer = createTransport({ host: '127.0.0.1', port, secure: true, tls: { ca: A.cert, servername: 'localhost' } });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({
    envelope: { from: PEER_FROM, to: [`${LOCAL}/TYPE=PLMN@${DOMAIN}`] },
    raw: forwardReq({ messageId: 'msg-0002@mms.mnc002.mcc001.gprs' }),
  });
  t.match(info.response, /^250 /);
  t.equal((await queue.stats()).waiting, 2);
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm4_tls_sessions_total\{peer="carrier-b",mode="implicit",protocol="TLSv1\.[23]",service="mmsc"\} 2/,
  );
  // A client that trusts another certificate does not get through.
  await t.rejects(RawSmtp.open(port, { tls: { ca: B.cert } }).then(({ raw }) => raw.end()));
});

t.test('mm4.tlsMode none (the default): no STARTTLS offered', async (t) => {
  const { port } = await startMm4(t);
  const raw = await open(t, port);
  t.notMatch(await raw.send('EHLO peer.example'), /STARTTLS/);
});

t.test('certificate and key: required by the schema, read at start, a bad one fails naming its key', async (t) => {
  const bad = (mm4: Record<string, unknown>) => {
    const r = (() => {
      try {
        mm4Config(mm4);
        return undefined;
      } catch (e) {
        return e as { issues?: { path: (string | number)[] }[] };
      }
    })();
    return r?.issues?.map((i) => i.path.join('.'));
  };
  t.same(bad({ tlsMode: 'starttls' }), ['mm4.tlsCertFile', 'mm4.tlsKeyFile']);
  t.same(bad({ tlsMode: 'implicit', tlsCertFile: A.certFile }), ['mm4.tlsKeyFile']);
  t.same(bad({ tlsMode: 'sometimes' }), ['mm4.tlsMode']);

  const store = createMemoryStore();
  const build = (mm4: Record<string, unknown>) =>
    new Mm4Server({
      config: mm4Config({ tlsMode: 'starttls', ...mm4 }),
      queue: store.queue,
      throttle: store.throttle,
      router: new StaticRouter(),
      metrics: new Metrics(),
      log: pino({ level: 'silent' }),
    });
  t.throws(() => build({ tlsCertFile: '/nonexistent/mm4.crt', tlsKeyFile: A.keyFile }), ConfigError);
  t.throws(
    () => build({ tlsCertFile: '/nonexistent/mm4.crt', tlsKeyFile: A.keyFile }),
    /^mm4\.tlsCertFile: cannot read \/nonexistent\/mm4\.crt \(ENOENT\)/,
  );
  t.throws(() => build({ tlsCertFile: A.certFile, tlsKeyFile: '/nonexistent/mm4.key' }), /^mm4\.tlsKeyFile: cannot read/);
  t.throws(() => build({ tlsCertFile: A.certFile, tlsKeyFile: B.keyFile }), /^mm4\.tlsKeyFile: .* do not make a TLS key and certificate/);
  const junk = join(mkdtempSync(join(tmpdir(), 'mm4-tls-')), 'junk.pem');
  writeFileSync(junk, 'not a certificate');
  t.throws(() => build({ tlsCertFile: junk, tlsKeyFile: A.keyFile }), /^mm4\.tlsKeyFile: .* do not make/);
});
