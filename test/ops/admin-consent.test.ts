// The admin API's consent registry (src/ops/admin/consent.ts) through the real admin router (an ops listener on
// loopback, bearer tokens of both roles) on both backends: import CSV (each line checked: +E.164 by
// libphonenumber-js, state, RFC 3339 time; hostile lines rejected with their line number), export it back
// (streamed CSV, RFC 4180 quoting), look up one pair with its history; roles and the body bound.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { ConsentStore } from '../../src/core/ports.js';
import { consentRoutes, rfc3339 } from '../../src/ops/admin/consent.js';
import { parseCsv } from '../../src/ops/csv.js';
import { Metrics } from '../../src/ops/metrics.js';
import { OpsServer } from '../../src/ops/server.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { captureLog } from '../helpers/log-capture.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const READ = 'read-token-0123456789abcdef';
const OPERATE = 'operate-token-0123456789abcdef';

async function setup(t: Test, backend: 'memory' | 'redis', importMaxBytes = 1 << 20) {
  let consent: ConsentStore;
  if (backend === 'memory') consent = createMemoryStore().consent;
  else {
    const url = await redisUrl(t);
    const redis = new Redis(url);
    const prefix = testPrefix();
    consent = createRedisStore({ redis, prefix }).consent;
    t.teardown(async () => {
      await dropKeys(url, prefix);
      await redis.quit();
    });
  }
  const cap = captureLog('info');
  const ops = new OpsServer(new Metrics(), cap.log, undefined, {
    tokens: [
      { name: 'alice', token: READ, role: 'read' },
      { name: 'bob', token: OPERATE, role: 'operate' },
    ],
  });
  ops.addRoutes(consentRoutes({ consent, importMaxBytes: () => importMaxBytes, log: cap.log }));
  const base = await ops.listen('127.0.0.1', 0);
  t.teardown(() => ops.close());
  const call = async (token: string, method: string, path: string, body?: string | Uint8Array<ArrayBuffer>, type = 'text/csv') => {
    const r = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      body: body ?? null,
    });
    const text = await r.text();
    return {
      status: r.status,
      type: r.headers.get('content-type') ?? '',
      text,
      json: r.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined,
    };
  };
  return { consent, call, lines: cap.lines };
}

const GOOD = [
  'sender,subscriber,state,source,at,proof',
  '12345,+14155550100,opted-in,web,2026-01-31T09:00:00Z,"https://acme.example/join, IP 203.0.113.9"',
  '12345,+4915123456789,opted-out,,2026-02-01T10:00:00+01:00,"MO ""STOP"" id 77"',
  'ACME Ltd,+14155550101,opted-in,import,2026-02-02T00:00:00.5Z,"line one\r\nline two"',
].join('\r\n');

const HOSTILE = [
  '12345,+14155550102,opted-in,web,2026-01-31T09:00:00Z', // line 1 good (no proof)
  '12345,4155550100,opted-in,web,2026-01-31T09:00:00Z', // 2: not +E.164
  '12345,+10000000000,opted-in,web,2026-01-31T09:00:00Z', // 3: not a valid number
  '12345,+14155550103,subscribed,web,2026-01-31T09:00:00Z', // 4: state
  '12345,+14155550103,opted-in,fax,2026-01-31T09:00:00Z', // 5: source
  '12345,+14155550103,opted-in,web,2026-02-30T09:00:00Z', // 6: 30 February
  '12345,+14155550103,opted-in,web,2026-01-31 09:00:00', // 7: no T, no offset
  '12345,+14155550103,opted-in', // 8: too few fields
  '12345,+1415555"0103,opted-in,web,2026-01-31T09:00:00Z', // 9: stray quote
  '"12345,+14155550103,opted-in,web,2026-01-31T09:00:00Z', // 10: never closed (takes the rest)
].join('\n');

for (const backend of ['memory', 'redis'] as const) {
  t.test(`${backend}: import, lookup with history, export round trip`, async (t) => {
    const { call, consent, lines } = await setup(t, backend);
    const imp = await call(OPERATE, 'POST', '/admin/consent/import', GOOD);
    t.equal(imp.status, 200);
    t.strictSame(imp.json, { imported: 3, rejected: [] });
    t.ok(
      lines.some((l) => l.msg === 'consent imported' && l.admin === 'bob'),
      'logged with the token name',
    );

    await consent.set('12345', '+14155550100', {
      state: 'opted-out',
      source: 'keyword',
      at: Date.parse('2026-03-01T00:00:00Z'),
      proof: 'STOP',
    });
    const one = await call(READ, 'GET', '/admin/consent/12345/%2B14155550100');
    t.equal(one.status, 200);
    t.strictSame(one.json, {
      sender: '12345',
      subscriber: '+14155550100',
      state: 'opted-out',
      source: 'keyword',
      at: '2026-03-01T00:00:00.000Z',
      proof: 'STOP',
      history: [
        { state: 'opted-in', source: 'web', at: '2026-01-31T09:00:00.000Z', proof: 'https://acme.example/join, IP 203.0.113.9' },
        { state: 'opted-out', source: 'keyword', at: '2026-03-01T00:00:00.000Z', proof: 'STOP' },
      ],
    });
    t.equal((await call(READ, 'GET', '/admin/consent/12345/%2B14155550199')).status, 404, 'no record: 404');

    const exp = await call(READ, 'GET', '/admin/consent/export?sender=12345');
    t.equal(exp.status, 200);
    t.match(exp.type, /^text\/csv/);
    const rows = [...parseCsv(exp.text)].map((r) => ('fields' in r ? r.fields : r.error));
    t.strictSame(rows[0], ['sender', 'subscriber', 'state', 'source', 'at', 'proof']);
    t.strictSame(
      rows.slice(1).sort(),
      [
        ['12345', '+14155550100', 'opted-out', 'keyword', '2026-03-01T00:00:00.000Z', 'STOP'],
        ['12345', '+4915123456789', 'opted-out', 'import', '2026-02-01T09:00:00.000Z', 'MO "STOP" id 77'],
      ].sort(),
    );
    const everything = await call(READ, 'GET', '/admin/consent/export');
    const all = [...parseCsv(everything.text)].slice(1);
    t.equal(all.length, 3, 'every sender');
    t.ok(
      all.some((r) => 'fields' in r && r.fields[0] === 'ACME Ltd' && r.fields[5] === 'line one\r\nline two'),
      'a quoted line break survives',
    );
    // The export imports back as it is.
    const again = await call(OPERATE, 'POST', '/admin/consent/import', everything.text);
    t.strictSame(again.json, { imported: 3, rejected: [] }, 'its own export is a valid import');
  });

  t.test(`${backend}: hostile lines rejected with their line and why; the good one imported`, async (t) => {
    const { call, consent } = await setup(t, backend);
    const r = await call(OPERATE, 'POST', '/admin/consent/import', HOSTILE);
    t.equal(r.status, 200);
    t.equal(r.json.imported, 1);
    t.strictSame(
      r.json.rejected.map((x: { line: number }) => x.line),
      [2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    t.match(r.json.rejected[0].reason, /E\.164/);
    t.match(r.json.rejected[1].reason, /E\.164/);
    t.match(r.json.rejected[2].reason, /state/);
    t.match(r.json.rejected[3].reason, /source/);
    t.match(r.json.rejected[4].reason, /RFC 3339/);
    t.match(r.json.rejected[5].reason, /RFC 3339/);
    t.match(r.json.rejected[6].reason, /fields/);
    t.match(r.json.rejected[7].reason, /quote/);
    t.match(r.json.rejected[8].reason, /not closed/);
    t.equal((await consent.get('12345', '+14155550102'))?.state, 'opted-in');
    t.equal(await consent.get('12345', '+14155550103'), undefined, 'nothing of the bad lines');
  });
}

t.test('roles, media type, body bound, a bad sender', async (t) => {
  const { call } = await setup(t, 'memory', 2048);
  t.equal((await call(READ, 'POST', '/admin/consent/import', GOOD)).status, 403, 'import needs operate');
  t.equal((await call('nope-token-0123456789abcdef', 'GET', '/admin/consent/export')).status, 401);
  t.equal((await call(OPERATE, 'POST', '/admin/consent/import', GOOD, 'application/json')).status, 415);
  t.equal((await call(OPERATE, 'POST', '/admin/consent/import', 'x'.repeat(4096))).status, 413, 'over consent.importMaxBytes');
  t.equal((await call(READ, 'GET', '/admin/consent/export?sender=%7B%7D%2C')).status, 400);
  const notUtf8 = await call(OPERATE, 'POST', '/admin/consent/import', new Uint8Array([0x31, 0xff, 0xfe, 0x0a]));
  t.equal(notUtf8.status, 400, 'not UTF-8: refused whole');
});

t.test('rfc3339', async (t) => {
  t.equal(rfc3339('2026-01-31T09:00:00Z'), Date.UTC(2026, 0, 31, 9));
  t.equal(rfc3339('2026-01-31t09:00:00+02:00'), Date.UTC(2026, 0, 31, 7));
  for (const bad of [
    '2026-02-29T00:00:00Z',
    '2026-01-31T24:00:00Z',
    '2026-01-31T09:00:00',
    '2026-1-31T09:00:00Z',
    '2026-01-31T09:00:00+25:00',
    '',
  ])
    t.equal(rfc3339(bad), undefined, bad);
});
