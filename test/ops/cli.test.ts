import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import t from 'tap';
import type { Test } from 'tap';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { buildMmsPush } from '../../protocols/push/index.js';
import { MMSC_BIN, ROOT, VECTORS } from '../helpers/paths.js';
import { submitSms } from '../helpers/pcapng.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { freePort } from '../helpers/free-port.js';
import { RedisServer } from '../helpers/redis-server.js';

// These tests run the real command (bin/mmsc -> dist/), as an operator would; `npm test` builds first.
function mmsc(args: string[], input?: Buffer | string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MMSC_BIN, ...args], { cwd: ROOT, input, env: { ...process.env, ...env }, timeout: 30_000 });
}

const vectors = join(VECTORS, 'pdu');

t.test('pdu decode prints the spec fields as JSON', async (t) => {
  // Expected values from the independent tshark decode beside the vector (mms_m_notify_ind_1.mms.tshark.txt).
  const r = mmsc(['pdu', 'decode', join(vectors, 'mmsd', 'mms_m_notify_ind_1.mms')]);
  t.equal(r.status, 0, String(r.stderr));
  t.strictSame(JSON.parse(String(r.stdout)), {
    messageType: 'm-notification-ind',
    transactionId: 'OgQKKB',
    mmsVersion: '1.0',
    from: 'Erotik',
    subject: 'Pin-Ups',
    messageClass: 'Personal',
    messageSize: 16384,
    expiry: 259200,
    contentLocation: 'http://eps3.de/O/Z9IZO',
  });
});

t.test('pdu decode lists parts with type, id, location, name and size; dates are ISO 8601', async (t) => {
  // rc-mms-1-3-con-210: tshark shows Date May 31, 2011 08:42:30 UTC, a SMIL part with Content-Id <SMIL>
  // and a 2213-byte image/gif with a long Content-Location.
  const r = mmsc(['pdu', 'decode', join(vectors, 'mmsd', 'rc-mms-1-3-con-210.mms')]);
  t.equal(r.status, 0, String(r.stderr));
  const j = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  t.equal(j.date, '2011-05-31T08:42:30.000Z');
  t.equal(j.contentType, 'application/vnd.wap.multipart.related');
  t.strictSame(j.contentTypeParams, { type: 'application/smil', start: '<SMIL>' });
  const parts = j.parts as Array<Record<string, unknown>>;
  t.equal(parts.length, 2);
  t.match(parts[0], { contentType: 'application/smil', contentId: '<SMIL>' });
  t.match(parts[1], {
    contentType: 'image/gif',
    contentLocation: 'Long_file_name_for_gif_image_60X80_with_non_ASCII_characters_ooo_Length_is_93_characters.gif',
    size: 2213,
  });
});

t.test('malformed input: exit 2 and one line with the code and offset', async (t) => {
  const r = mmsc(['pdu', 'decode', '-'], Buffer.from([0x8c, 0x80, 0x98, 0x41]));
  t.equal(r.status, 2);
  t.equal(String(r.stdout), '');
  t.match(String(r.stderr), /^mmsc: TRUNCATED at offset \d+: .+\n$/);
  const garbage = mmsc(['pdu', 'decode', join(vectors, 'mms-engine', 'test_retrieve__GarbagePush__garbage')]);
  t.equal(garbage.status, 2);
  t.match(String(garbage.stderr), /^mmsc: NOT_A_PDU at offset 0/);
});

t.test('pdu encode: JSON with a file part -> binary that decodes back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-cli-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello world');
  const json = {
    messageType: 'm-send-req',
    transactionId: 'tx-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: ['+15551234567/TYPE=PLMN'],
    subject: 'hi',
    contentType: 'application/vnd.wap.multipart.mixed',
    parts: [{ contentType: 'text/plain', contentTypeParams: { charset: 'utf-8' }, file: 'hello.txt' }],
  };
  writeFileSync(join(dir, 'm.json'), JSON.stringify(json));
  const r = mmsc(['pdu', 'encode', join(dir, 'm.json'), '-o', join(dir, 'm.mms')]);
  t.equal(r.status, 0, String(r.stderr));
  const bin = readFileSync(join(dir, 'm.mms'));
  // OMA-TS-MMS_ENC: 8C 80 = m-send-req, 98 "tx-1" NUL = Transaction-Id, 8D 92 = version 1.2.
  t.strictSame([...bin.subarray(0, 10)], [0x8c, 0x80, 0x98, 0x74, 0x78, 0x2d, 0x31, 0x00, 0x8d, 0x92]);
  const back = mmsc(['pdu', 'decode', '--data', join(dir, 'm.mms')]);
  const j = JSON.parse(String(back.stdout)) as { parts: Array<{ dataBase64: string; contentType: string }> };
  t.equal(j.parts[0]!.contentType, 'text/plain');
  t.equal(Buffer.from(j.parts[0]!.dataBase64, 'base64').toString(), 'hello world');
});

t.test('the fixture message encodes, and decodes to what it says', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-fx-'));
  const r = mmsc(['pdu', 'encode', join(ROOT, 'fixtures', 'pdu', 'm-send-req.json'), '-o', join(dir, 'fx.mms')]);
  t.equal(r.status, 0, String(r.stderr));
  const bin = readFileSync(join(dir, 'fx.mms'));
  // From: 89 01 81 = Value-length 1, Insert-address-token (OMA-TS-MMS_ENC 7.3.21), right after version 1.2 (8D 92).
  t.equal(bin.indexOf(Buffer.from([0x8d, 0x92, 0x89, 0x01, 0x81])), 16);
  // Subject in the charset form: 96, Value-length 0x1A, utf-8 = EA, then the UTF-8 text and NUL.
  const subject = Buffer.concat([Buffer.from([0x96, 0x1a, 0xea]), Buffer.from('Grüße from the fixture\0')]);
  t.ok(bin.includes(subject), 'subject with its charset');
  const back = mmsc(['pdu', 'decode', '--data', join(dir, 'fx.mms')]);
  const j = JSON.parse(String(back.stdout)) as { to: string[]; parts: Array<{ name: string; dataBase64: string }> };
  t.strictSame(j.to, ['+15551234567/TYPE=PLMN', 'friend@example.com']);
  t.strictSame(
    j.parts.map((p) => p.name),
    ['slide.smil', 'hello.txt'],
  );
  t.equal(Buffer.from(j.parts[1]!.dataBase64, 'base64').toString(), readFileSync(join(ROOT, 'fixtures', 'pdu', 'hello.txt'), 'utf8'));
});

t.test('pdu encode rejects a bad model with exit 2 naming the field', async (t) => {
  const r = mmsc(['pdu', 'encode', '-'], JSON.stringify({ messageType: 'm-notifyresp-ind', transactionId: 'x', mmsVersion: '1.2' }));
  t.equal(r.status, 2);
  t.match(String(r.stderr), /ENCODE_INVALID: m-notifyresp-ind needs status/);
  const bad = mmsc(['pdu', 'encode', '-'], '{"messageType": "m-send-req", "date": "yesterday"}');
  t.equal(bad.status, 2);
  t.match(String(bad.stderr), /\$\.date: expected an ISO 8601 date/);
});

t.test('decode --data | encode reproduces a canonical vector byte for byte', async (t) => {
  const file = join(vectors, 'mms-engine', 'test_mms_codec__m-send_1.req');
  const json = mmsc(['pdu', 'decode', '--data', file]);
  const enc = mmsc(['pdu', 'encode', '-'], json.stdout);
  t.equal(enc.status, 0, String(enc.stderr));
  t.ok(Buffer.compare(enc.stdout, readFileSync(file)) === 0, 'same bytes');
});

t.test('pdu decode --push: the segments of a push as an SMSC receives them, a bare WSP push, hex on stdin', async (t) => {
  // Built by the project's own encoder (protocols/push), as the gateway submits it; too long for one SMS.
  const notification: NotificationInd = {
    messageType: 'm-notification-ind',
    transactionId: 'tx-cli-push-1',
    mmsVersion: '1.2',
    from: '+15550000009/TYPE=PLMN',
    subject: 'A rather long subject line that makes this notification need a second SMS segment',
    messageClass: 'Personal',
    messageSize: 51200,
    expiry: 86400,
    contentLocation: 'http://mms.example/r/abcdefghijklmnopqrstuvwxyz0123456789',
  };
  const push = buildMmsPush(notification, { concatRef: 0x2a, tid: 7, compact: false, maxSegments: 3 });
  t.equal(push.segments.length, 2, 'two segments');
  const expected = {
    messageType: 'm-notification-ind',
    transactionId: 'tx-cli-push-1',
    mmsVersion: '1.2',
    from: '+15550000009/TYPE=PLMN',
    subject: 'A rather long subject line that makes this notification need a second SMS segment',
    messageClass: 'Personal',
    messageSize: 51200,
    expiry: 86400,
    contentLocation: 'http://mms.example/r/abcdefghijklmnopqrstuvwxyz0123456789',
  };
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-push-'));
  const files = push.segments.map((s, i) => {
    const f = join(dir, `seg${i + 1}.bin`);
    writeFileSync(f, s.shortMessage);
    return f;
  });

  const plain = mmsc(['pdu', 'decode', files[0]!]);
  t.equal(plain.status, 2, 'without --push a segment is not an MMS PDU');

  const r = mmsc(['pdu', 'decode', '--push', ...files]);
  t.equal(r.status, 0, String(r.stderr));
  t.strictSame(JSON.parse(String(r.stdout)), expected);
  t.match(
    String(r.stderr),
    /^push: WDP ports 2948<-9200, 2 segments \(reference 42\), TID 0x07, Content-Type application\/vnd\.wap\.mms-message, X-Wap-Application-Id x-wap-application:mms\.ua/,
  );

  writeFileSync(join(dir, 'push.wsp'), push.wsp);
  const bare = mmsc(['pdu', 'decode', '--push', join(dir, 'push.wsp')]);
  t.equal(bare.status, 0, String(bare.stderr));
  t.strictSame(JSON.parse(String(bare.stdout)), expected, 'a bare WSP push');
  t.match(String(bare.stderr), /^push: bare WSP push, TID 0x07/);

  const hexText = `# submit_sm short_message, in order\n${push.segments.map((s) => s.shortMessage.toString('hex').replace(/(..)/g, '$1 ')).join('\n')}\n`;
  const hex = mmsc(['pdu', 'decode', '--push', '--hex', '-'], hexText);
  t.equal(hex.status, 0, String(hex.stderr));
  t.strictSame(JSON.parse(String(hex.stdout)), expected, 'hex on stdin, one segment per line');

  const missing = mmsc(['pdu', 'decode', '--push', files[1]!]);
  t.equal(missing.status, 2);
  t.match(String(missing.stderr), /^mmsc: INCOMPLETE: missing segment 1 of 2\n$/);
  const notHex = mmsc(['pdu', 'decode', '--push', '--hex', '-'], 'zz\n');
  t.equal(notHex.status, 2);
});

t.test('pdu decode --push reads the segments Kannel 1.4.5 submitted to an SMSC (public capture)', async (t) => {
  // shared/vectors/push/kannel-ppg-capture (SOURCES.md): Kannel's PPG pushing an m-notification-ind over SMPP as
  // two concatenated submit_sm. Expected values: the capture's tshark 4.0.17 decode (.tshark.txt, frames 18 and 20).
  const dir = join(VECTORS, 'push', 'kannel-ppg-capture');
  const submits = submitSms(readFileSync(join(dir, 'kannel-ppg-smpp-mms-notification.pcapng'))).filter(
    (s) => s.destination === '4912345678',
  );
  t.same(
    submits.map((s) => s.frame),
    [18, 20],
    'the first push: frames 18 and 20',
  );
  // tshark prints frame 20's short message whole ("Message bytes: ..."): the capture is read right.
  const tshark = readFileSync(join(dir, 'kannel-ppg-smpp-mms-notification.pcapng.tshark.txt'), 'utf8');
  t.ok(tshark.includes(`Message bytes: ${submits[1]!.shortMessage.toString('hex')}\n`), "frame 20's octets as tshark shows them");

  const r = mmsc(['pdu', 'decode', '--push', '--hex', '-'], submits.map((s) => s.shortMessage.toString('hex')).join('\n'));
  t.equal(r.status, 0, String(r.stderr));
  t.strictSame(JSON.parse(String(r.stdout)), {
    messageType: 'm-notification-ind',
    transactionId: 'wLJeT7THu',
    mmsVersion: '1.0',
    from: '15551230000/TYPE=PLMN',
    messageClass: 'Personal',
    messageSize: 23069,
    expiry: 259200,
    contentLocation: 'http://mmsc11:10021/mmsc/1_1?wLJeT7THu',
  });
  // tshark: ports 2948 <- 9200, reference 0, 2 parts; WSP Transaction ID 0x00, X-Wap-Application-Id mms.ua.
  t.match(
    String(r.stderr),
    /^push: WDP ports 2948<-9200, 2 segments \(reference 0\), TID 0x00, Content-Type application\/vnd\.wap\.mms-message, X-Wap-Application-Id x-wap-application:mms\.ua/,
  );
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** Start `mmsc serve` with env, wait for its listener line, return the ops URL and the stderr so far. */
async function serve(
  t: Test,
  env: NodeJS.ProcessEnv,
): Promise<{ url: string; stdout: () => string; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MMSC_BIN, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, MMSC_OPS_PORT: '0', MMSC_MM7_PORT: '0', MMSC_MM1_PORT: '0', ...env },
  });
  t.teardown(() => child.kill('SIGKILL'));
  let err = '';
  let out = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // The last listener (mm7) printed: every line is there.
      const m = /^ops\s+listening on (http:\/\/\S+) \(loopback only\)\n/m.exec(out);
      if (m && /^mm7 /m.test(out)) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`no listener line; stdout: ${out}`)), 15_000);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { url, stdout: () => out, stderr: () => err, stop: () => (child.kill('SIGTERM'), exit) };
}

t.test('serve prints one line per listener, serves metrics and health, stops on SIGTERM', async (t) => {
  const s = await serve(t, { REDIS_URL: '' });
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(s.stdout(), /^mm7 {3}listening on http:\/\/127\.0\.0\.1:\d+\n/m, 'the MM7 listener has its line');
  t.match(s.stdout(), /^mm1 {3}listening on http:\/\/127\.0\.0\.1:\d+\n/m, 'the MM1 listener has its line');
  t.equal((await get(`${s.url}/healthz`)).status, 200);
  t.equal((await get(`${s.url}/readyz`)).status, 200);
  t.equal((await get(`${s.url}/nope`)).status, 404);
  const metrics = await get(`${s.url}/metrics`);
  t.equal(metrics.status, 200);
  t.match(metrics.body, /mmsc_ops_http_requests_total\{route="\/healthz",code="200",service="mmsc"\} 1/);
  t.match(metrics.body, /mmsc_ops_http_requests_total\{route="other",code="404",service="mmsc"\} 1/);
  t.equal(await s.stop(), 0);
});

t.test('serve with mm1.webViewPort: the web view has its own listener line, and its requests are counted', async (t) => {
  const s = await serve(t, { REDIS_URL: '', MMSC_MM1_WEB_VIEW_PORT: '0' });
  const web = /^web {3}listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(s.stdout());
  t.ok(web, `the web-view listener has its line (${s.stdout()})`);
  t.match(s.stdout(), /^mm1 {3}listening on http:\/\/127\.0\.0\.1:\d+\n/m, 'beside the MM1 listener');
  t.equal((await get(`${web![1]}/m/not-a-token`)).status, 404, 'an unknown link');
  t.match((await get(`${s.url}/metrics`)).body, /mmsc_web_view_requests_total\{kind="page",code="404",service="mmsc"\} 1/);
  t.equal(await s.stop(), 0);
});

t.test('serve without Redis: the embedded store, logged as not durable', async (t) => {
  const s = await serve(t, { REDIS_URL: '' });
  t.match((await get(`${s.url}/metrics`)).body, /mmsc_store_info\{backend="memory",durable="false",service="mmsc"\} 1/);
  t.equal(await s.stop(), 0);
  t.match(s.stderr(), /"durable":false.*NOT DURABLE/);
});

t.test('serve with REDIS_URL: the Redis store, ready once connected', async (t) => {
  const prefix = testPrefix();
  const url = await redisUrl(t);
  const s = await serve(t, { REDIS_URL: url, MMSC_QUEUE_PREFIX: prefix });
  for (let i = 0; i < 50 && (await get(`${s.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal((await get(`${s.url}/readyz`)).status, 200, 'ready');
  const metrics = (await get(`${s.url}/metrics`)).body;
  // durable: what this Redis reports (the test Redis may run either way; test/store/durable.test.ts has both).
  const redis = new Redis(url);
  const aof = /^aof_enabled:(\d)/m.exec(await redis.info('persistence'))?.[1];
  await redis.quit();
  t.match(metrics, new RegExp(`mmsc_store_info\\{backend="redis",durable="${aof === '1'}",service="mmsc"\\} 1`));
  t.match(metrics, /mmsc_queue_jobs\{status="waiting",service="mmsc"\} 0/);
  t.equal(await s.stop(), 0);
  t.match(s.stderr(), /"backend":"redis","shards":1,"prefix":"mmsc-test-/);
});

t.test('serve with Redis unreachable at start: not ready, then ready once Redis answers', async (t) => {
  const port = await freePort();
  const s = await serve(t, { REDIS_URL: `redis://127.0.0.1:${port}`, MMSC_QUEUE_PREFIX: testPrefix() });
  t.equal((await get(`${s.url}/healthz`)).status, 200, 'alive');
  t.equal((await get(`${s.url}/readyz`)).status, 503, 'not ready without its store');
  const redis = new RedisServer(port, ['--save', '', '--appendonly', 'no']);
  await redis.start();
  t.teardown(() => redis.stop('SIGKILL'));
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await get(`${s.url}/readyz`)).status;
  }
  t.equal(status, 200, 'ready once Redis is there');
  t.equal(await s.stop(), 0, 'stops cleanly');
  t.match(s.stderr(), /store not reachable; retrying/);
});

t.test('serve warns about an MMSC_* variable that sets nothing, with the name it most resembles', async (t) => {
  const s = await serve(t, { REDIS_URL: '', MMSC_MM1_MAXPUSHES: '2' });
  t.equal(await s.stop(), 0);
  const warned = s
    .stderr()
    .split('\n')
    .filter((l) => l.includes('MMSC_MM1_MAXPUSHES'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(warned.length, 1, 'once');
  t.match(warned[0], {
    level: 40,
    env: 'MMSC_MM1_MAXPUSHES',
    didYouMean: 'MMSC_MM1_MAX_PUSHES',
    msg: /unknown environment variable MMSC_MM1_MAXPUSHES ignored: did you mean MMSC_MM1_MAX_PUSHES\?/,
  });
});

t.test('a bad config fails at start naming the key', async (t) => {
  const r = mmsc(['serve'], undefined, { MMSC_OPS_PORT: 'abc' });
  t.equal(r.status, 1);
  t.match(String(r.stderr), /ops\.port: .*\(from env MMSC_OPS_PORT\)/);
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-cfg-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ ops: { prot: 1 } }));
  const typo = mmsc(['serve', '--config', join(dir, 'c.json')]);
  t.equal(typo.status, 1);
  t.match(String(typo.stderr), /ops\.prot: unknown key \(from file /);
});

t.test('config reference prints the configuration table; --readme rewrites the generated block of a file', async (t) => {
  const r = mmsc(['config', 'reference']);
  t.equal(r.status, 0, String(r.stderr));
  const out = String(r.stdout);
  t.ok(out.startsWith('| key | environment variable | default | description |\n'));
  t.match(out, /^\| `queue\.maxAttempts` \| `MMSC_QUEUE_MAX_ATTEMPTS` \| `10` \| /m);
  t.match(out, /^\| `smpp\.smscs\[\]\.systemId` \| required \| /m);
  const file = join(mkdtempSync(join(tmpdir(), 'mmsc-ref-')), 'README.md');
  writeFileSync(
    file,
    'before\n<!-- config-reference:begin (generated by `npm run readme:config`; do not edit) -->\nstale\n<!-- config-reference:end -->\nafter\n',
  );
  t.equal(mmsc(['config', 'reference', '--readme', file]).status, 0);
  const written = readFileSync(file, 'utf8');
  t.ok(written.startsWith('before\n<!-- config-reference:begin'));
  t.ok(written.endsWith('<!-- config-reference:end -->\nafter\n'));
  t.ok(written.includes(out.trimEnd()) && !written.includes('stale'));
  t.equal(mmsc(['config', 'nonsense']).status, 1);
});
