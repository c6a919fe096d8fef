// HTTPS on every HTTP listener (MM1, web view, MM7/REST, ops), client certificates that authenticate VASPs
// (checked with Node's https and with the curl CLI), and certificates reloaded on SIGHUP without dropping
// an open keep-alive connection. Certificates are made with openssl per run (test/helpers/certs.ts).
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t, { type Test } from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { makePki, type Pki } from '../helpers/certs.js';
import { captureLog, LEVEL } from '../helpers/log-capture.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';

const TEXT = Buffer.from('hello over TLS');

interface Answer {
  status: number;
  body: string;
  /** CN of the certificate the server presented. */
  servedBy: string | undefined;
  socket: TLSSocket;
}

interface Client {
  ca: string;
  cert?: string;
  key?: string;
  agent?: Agent;
}

function fetchTls(url: string, c: Client, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: o.method ?? 'GET',
        headers: o.headers,
        ca: readPem(c.ca),
        ...(c.cert ? { cert: readPem(c.cert), key: readPem(c.key!) } : {}),
        ...(c.agent ? { agent: c.agent } : { agent: false }),
      },
      (res) => {
        // Taken now: a keep-alive agent takes the socket back at the end of the response.
        const socket = res.socket as TLSSocket;
        const cn = socket.getPeerCertificate().subject?.CN;
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            servedBy: Array.isArray(cn) ? cn[0] : cn,
            socket,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Read at each use: the reload test rewrites the files. */
function readPem(file: string): string {
  return readFileSync(file, 'utf8');
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function submit(vasp: string) {
  return mm7SubmitReq({ vasp, shortCode: '7050', to: ['+15550000002'], parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }] });
}

const statusCode = (body: string) => /<(?:\w+:)?StatusCode>(\d+)</.exec(body)?.[1];

async function gateway(t: Test, pki: Pki, config: Record<string, unknown>) {
  const cap = captureLog('debug');
  const parsed = ConfigSchema.parse({ ops: { port: 0 }, mm1: { enabled: false }, mm7: { enabled: false }, ...config });
  // A reload (SIGHUP, POST /admin/reload) reads the same config again: only the certificate files change.
  const gw = new Gateway(parsed, cap.log, { loadConfig: () => parsed });
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const at = (iface: string) => listeners.find((l) => l.iface === iface)!;
  return { gw, listeners, at, lines: cap.lines, pki };
}

const VASPS = [
  { id: 'certified', username: 'certified', clientCert: { subject: 'vasp-certified' }, senders: ['7050'] },
  { id: 'pinned', username: 'pinned', password: 'pw-pinned', clientCert: { fingerprint256: '' }, senders: ['7050'] },
  { id: 'basic', username: 'basic', password: 'pw-basic', senders: ['7050'] },
];

t.test('every HTTP listener serves HTTPS, and its startup address says https', async (t) => {
  const pki = makePki(t);
  const s = pki.server('mmsc.test');
  const tls = { certFile: s.cert, keyFile: s.key };
  const { listeners, at } = await gateway(t, pki, {
    ops: { port: 0, tls },
    mm1: { port: 0, tls, webViewPort: 0, webViewTls: tls },
    mm7: { port: 0, tls, vasps: [VASPS[2]] },
  });
  t.same(listeners.map((l) => l.iface).sort(), ['mm1', 'mm7', 'ops', 'web']);
  for (const l of listeners) t.match(l.address, /^https:\/\/127\.0\.0\.1:\d+$/, `${l.iface} says https`);
  t.equal(at('ops').note, '(loopback only)');
  const c = { ca: pki.ca };
  const ops = await fetchTls(`${at('ops').address}/healthz`, c);
  t.match(ops, { status: 200, body: 'ok\n', servedBy: 'mmsc.test' }, 'ops');
  // MM1 (from loopback, a trusted proxy by default): a retrieval token that names nothing.
  const mm1 = await fetchTls(`${at('mm1').address}/r/nothing`, c);
  t.match(mm1, { status: 404, servedBy: 'mmsc.test' }, 'mm1');
  const web = await fetchTls(`${at('web').address}/m/not-a-token`, c);
  t.match(web, { servedBy: 'mmsc.test' }, 'web view');
  t.ok(web.status >= 400 && web.status < 500, `web view answers ${web.status} to a bad token`);
  const req = submit('basic');
  const mm7 = await fetchTls(at('mm7').address, c, {
    method: 'POST',
    body: req.body,
    headers: { 'content-type': req.contentType, authorization: `Basic ${Buffer.from('basic:pw-basic').toString('base64')}` },
  });
  t.match(mm7, { status: 200, servedBy: 'mmsc.test' });
  t.equal(statusCode(mm7.body), '1000', 'MM7 SubmitReq accepted over HTTPS with Basic');
  // Cleartext to a TLS port is not served.
  const plain = await curl(['-o', '/dev/null', '-w', '%{http_code}', at('ops').address.replace('https:', 'http:') + '/healthz']);
  t.not(plain.stdout, '200', 'plain HTTP to the HTTPS port is not answered 200');
  // curl sees the same certificate chain as valid.
  const viaCurl = await curl(['--cacert', pki.ca, '-o', '-', `${at('ops').address}/healthz`]);
  t.match(viaCurl, { code: 0, stdout: 'ok\n' }, 'curl --cacert');
});

t.test('MM7 with clientCert request: a VASP with a certificate submits without Basic, one without is refused', async (t) => {
  const pki = makePki(t);
  const s = pki.server('mm7.test');
  const certified = pki.client('vasp-certified');
  const pinned = pki.client('anything-at-all');
  const foreign = pki.client('vasp-certified', true);
  const vasps = structuredClone(VASPS);
  vasps[1]!.clientCert = { fingerprint256: pinned.fingerprint256 };
  const { at, lines } = await gateway(t, pki, {
    mm7: { port: 0, tls: { certFile: s.cert, keyFile: s.key, caFile: pki.ca, clientCert: 'request' }, vasps },
  });
  const url = at('mm7').address;
  const post = (vasp: string, c: Client, headers: Record<string, string> = {}) => {
    const r = submit(vasp);
    return fetchTls(url, c, { method: 'POST', body: r.body, headers: { 'content-type': r.contentType, ...headers } });
  };
  const byCn = await post('certified', { ca: pki.ca, cert: certified.cert, key: certified.key });
  t.equal(byCn.status, 200);
  t.equal(statusCode(byCn.body), '1000', 'the certificate whose CN a VASP names: accepted without Basic');
  const byFingerprint = await post('pinned', { ca: pki.ca, cert: pinned.cert, key: pinned.key });
  t.equal(statusCode(byFingerprint.body), '1000', 'the certificate whose fingerprint a VASP names');
  const none = await post('certified', { ca: pki.ca });
  t.equal(none.status, 401, 'no certificate and no Basic: 401');
  const forged = await post('certified', { ca: pki.ca, cert: foreign.cert, key: foreign.key });
  t.equal(forged.status, 401, "the right CN from a CA that is not mm7.tls.caFile's: not authenticated");
  const basic = await post('basic', { ca: pki.ca }, { authorization: `Basic ${Buffer.from('basic:pw-basic').toString('base64')}` });
  t.equal(statusCode(basic.body), '1000', 'Basic still works beside certificates');
  t.ok(
    lines.some((l) => l.level === LEVEL.info && l.msg === 'mm7 request refused' && l.from === '127.0.0.1'),
    'refusals logged with the client address',
  );

  // The same with curl.
  const r = submit('certified');
  const body = join(pki.dir, 'submit.bin');
  writeFileSync(body, r.body);
  const args = ['--cacert', pki.ca, '-H', `Content-Type: ${r.contentType}`, '--data-binary', `@${body}`, '-o', '-', '-w', '\n%{http_code}'];
  const withCert = await curl([...args, '--cert', certified.cert, '--key', certified.key, url]);
  t.equal(withCert.code, 0, withCert.stderr);
  t.match(withCert.stdout, /StatusCode>1000<[\s\S]*\n200$/, 'curl --cert: accepted');
  const without = await curl([...args, url]);
  t.match(without.stdout, /\n401$/, 'curl without a certificate: 401');
});

t.test('MM7 with clientCert require: a client without a certificate is refused at the handshake', async (t) => {
  const pki = makePki(t);
  const s = pki.server('mm7.test');
  const certified = pki.client('vasp-certified');
  const foreign = pki.client('vasp-certified', true);
  const { at } = await gateway(t, pki, {
    mm7: { port: 0, tls: { certFile: s.cert, keyFile: s.key, caFile: pki.ca, clientCert: 'require' }, vasps: VASPS.slice(0, 1) },
  });
  const url = at('mm7').address;
  const r = submit('certified');
  const ok = await fetchTls(
    url,
    { ca: pki.ca, cert: certified.cert, key: certified.key },
    {
      method: 'POST',
      body: r.body,
      headers: { 'content-type': r.contentType },
    },
  );
  t.equal(statusCode(ok.body), '1000', 'with a certificate: accepted');
  await t.rejects(fetchTls(url, { ca: pki.ca }, { method: 'POST', body: r.body }), 'node: no certificate, no connection');
  await t.rejects(
    fetchTls(url, { ca: pki.ca, cert: foreign.cert, key: foreign.key }, { method: 'POST', body: r.body }),
    'node: a certificate of another CA, no connection',
  );
  const body = join(pki.dir, 'submit.bin');
  writeFileSync(body, r.body);
  const args = ['--cacert', pki.ca, '-H', `Content-Type: ${r.contentType}`, '--data-binary', `@${body}`, '-o', '-'];
  const withCert = await curl([...args, '--cert', certified.cert, '--key', certified.key, url]);
  t.match(withCert, { code: 0, stdout: /StatusCode>1000</ }, 'curl --cert: accepted');
  const without = await curl([...args, url]);
  t.not(without.code, 0, `curl without a certificate fails (exit ${without.code}: ${without.stderr.trim()})`);
  t.notMatch(without.stdout, /StatusCode/);
});

t.test('a reload (SIGHUP) serves a renewed certificate to new connections; an open keep-alive connection stays', async (t) => {
  const pki = makePki(t);
  const one = pki.server('first.test');
  const two = pki.server('second.test');
  const live = pki.live(one);
  const { certFile, keyFile } = live;
  const { gw, at, lines } = await gateway(t, pki, { ops: { port: 0, tls: { certFile, keyFile } } });
  const url = `${at('ops').address}/healthz`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const before = await fetchTls(url, { ca: pki.ca, agent });
  t.equal(before.servedBy, 'first.test');

  live.renew(two);
  const report = await gw.reload();
  t.match(JSON.stringify(report), /ops: certificate reloaded/);
  t.ok(lines.some((l) => l.msg === 'TLS certificate reloaded' && l.iface === 'ops'));

  const kept = await fetchTls(url, { ca: pki.ca, agent });
  t.equal(kept.socket, before.socket, 'the keep-alive connection was reused, not dropped');
  t.match(kept, { status: 200, servedBy: 'first.test' }, 'and keeps the session it had');
  const fresh = await fetchTls(url, { ca: pki.ca });
  t.match(fresh, { status: 200, servedBy: 'second.test' }, 'a new connection gets the renewed certificate');

  // A key that is not the certificate's: the reload is refused (logged), the renewed certificate stays.
  copyFileSync(one.key, keyFile); // the key alone: not the renewed certificate's
  t.match(gw.reloadTls(), [{ iface: 'ops', error: /ops\.tls\.keyFile/ }]);
  const error = lines.find((l) => l.level === LEVEL.error && l.msg.startsWith('TLS certificate not reloaded'));
  t.match(error, { iface: 'ops', err: { message: /ops\.tls\.keyFile/, code: 'CONFIG_INVALID' } });
  t.equal((await fetchTls(url, { ca: pki.ca })).servedBy, 'second.test');
});

t.test("a key that is not the certificate's fails the start, naming the key", async (t) => {
  const pki = makePki(t);
  const one = pki.server('first.test');
  const two = pki.server('second.test');
  const startError = (config: Record<string, unknown>) => {
    try {
      new Gateway(ConfigSchema.parse({ ops: { port: 0 }, mm1: { enabled: false }, mm7: { enabled: false }, ...config }), captureLog().log);
    } catch (e) {
      return e;
    }
    return undefined;
  };
  const mismatch = startError({ mm7: { port: 0, tls: { certFile: one.cert, keyFile: two.key } } });
  t.match(mismatch, { name: 'ConfigError', code: 'CONFIG_INVALID' });
  t.match((mismatch as Error).message, /^mm7\.tls\.keyFile: .* do not make a TLS key and certificate/);
  const missing = startError({ ops: { port: 0, tls: { certFile: one.cert, keyFile: join(pki.dir, 'missing.key') } } });
  t.match(missing, { name: 'ConfigError', code: 'CONFIG_INVALID' });
  t.match((missing as Error).message, /^ops\.tls\.keyFile: cannot read .*ENOENT/);
  const mm1 = ConfigSchema.parse({ mm1: { port: 8081, tls: { certFile: one.cert, keyFile: one.key } } }).mm1;
  t.equal(mm1.publicUrl, 'https://127.0.0.1:8081', 'with mm1.tls the default public URL is https');
  t.equal(ConfigSchema.parse({ mm1: { port: 8081 } }).mm1.publicUrl, 'http://127.0.0.1:8081');
  const r = ConfigSchema.safeParse({ mm7: { tls: { certFile: one.cert, keyFile: one.key, clientCert: 'require' } } });
  t.equal(r.success, false);
  t.match(r.error?.issues[0], { path: ['mm7', 'tls', 'caFile'], message: /required when clientCert is require/ });
});

t.test('the ops listener beyond loopback without TLS is warned about; on loopback its line says so', async (t) => {
  const pki = makePki(t);
  const exposed = await gateway(t, pki, { ops: { port: 0, host: '0.0.0.0' } });
  t.equal(exposed.at('ops').note, undefined);
  t.match(
    exposed.lines.filter((l) => l.level === LEVEL.warn && /beyond loopback/.test(l.msg)),
    [{ keys: ['ops.host', 'ops.tls'] }],
  );
  const s = pki.server('ops.test');
  const secured = await gateway(t, pki, { ops: { port: 0, host: '0.0.0.0', tls: { certFile: s.cert, keyFile: s.key } } });
  t.same(
    secured.lines.filter((l) => /beyond loopback/.test(l.msg)),
    [],
    'not with TLS',
  );
  const local = await gateway(t, pki, {});
  t.equal(local.at('ops').note, '(loopback only)');
  t.same(
    local.lines.filter((l) => /beyond loopback/.test(l.msg)),
    [],
  );
});
