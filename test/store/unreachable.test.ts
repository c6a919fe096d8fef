// While Redis cannot be reached, every edge refuses at once with its transient answer (REST 503, MM7 3001,
// MM1 a transient Response-Status, SMPP deliver_sm ESME_RX_T_APPN) and the logs say "Redis unreachable",
// not the Redis client's internals: one typed error from the store (src/store/redis/client.ts), whatever
// asks. Loopback only: a port where nothing listens, and a redis-server of the test's own that it kills.
import { performance } from 'node:perf_hooks';
import { restCall } from '../helpers/rest-call.js';
import t, { type Test } from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { freePort } from '../helpers/free-port.js';
import { Handset } from '../helpers/handset.js';
import { captureLog, type LogLine } from '../helpers/log-capture.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { testPrefix } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const AUTH = `Basic ${Buffer.from('shop:pw-shop').toString('base64')}`;
/** What ioredis says of itself when a command gives up: never what an operator should have to read. */
const CLIENT_INTERNALS = /max retries per request|maxRetriesPerRequest|enableOfflineQueue|Stream isn't writeable|Connection is closed/i;

function config(redisUrl: string, extra: Record<string, unknown> = {}) {
  return ConfigSchema.parse({
    redis: { url: redisUrl },
    queue: { prefix: testPrefix() },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
    mm1: { port: 0, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'] },
    ...extra,
  });
}

async function start(t: Test, redisUrl: string, extra: Record<string, unknown> = {}) {
  const cap = captureLog('debug');
  const gw = new Gateway(config(redisUrl, extra), cap.log);
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  const at = (iface: string) => listeners.find((l) => l.iface === iface)!.address;
  return { gw, cap, mm7: at('mm7'), mm1: at('mm1'), ops: at('ops') };
}

async function restSubmit(mm7: string): Promise<{ status: number; ms: number; body: string }> {
  const form = new FormData();
  form.append('to', '+15551230001');
  form.append('text', 'hello');
  const t0 = performance.now();
  const r = await restCall(mm7, 'POST', '/v1/messages', { body: form, auth: AUTH });
  return { status: r.status, ms: performance.now() - t0, body: r.text };
}

async function mm7Submit(mm7: string): Promise<{ code: string | undefined; ms: number }> {
  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: ['+15551230001'],
    parts: [{ type: 'text/plain', name: 't.txt', body: Buffer.from('hello') }],
  });
  const t0 = performance.now();
  const r = await fetch(mm7, {
    method: 'POST',
    body: new Uint8Array(req.body),
    headers: { 'content-type': req.contentType, authorization: AUTH },
  });
  const xml = await r.text();
  return { code: /<(?:\w+:)?StatusCode>(\d+)</.exec(xml)?.[1], ms: performance.now() - t0 };
}

const said = (lines: LogLine[], re: RegExp) => lines.some((l) => re.test(JSON.stringify(l)));

t.test('Redis port with no listener: REST 503, MM7 3001 and MM1 transient at once; logs say "Redis unreachable"', async (t) => {
  const { gw, cap, mm7, mm1, ops } = await start(t, `redis://127.0.0.1:${await freePort()}`);
  // The first attempts of a fresh client and later ones, when its reconnect backoff has grown.
  for (const pause of [0, 1500]) {
    await new Promise((r) => setTimeout(r, pause));
    const rest = await restSubmit(mm7);
    t.equal(rest.status, 503, `REST: 503 (${rest.body})`);
    // Generous: the old client waited ~10 s once its backoff had grown; the refusal needs no round trip.
    t.ok(rest.ms < 2000, `REST answered in ${Math.round(rest.ms)} ms`);
    const soap = await mm7Submit(mm7);
    t.equal(soap.code, '3001', 'MM7 SubmitReq: 3001 (transient)');
    t.ok(soap.ms < 2000, `MM7 answered in ${Math.round(soap.ms)} ms`);
  }
  const sent = await new Handset('+15550000001', mm1).post({
    messageType: 'm-send-req',
    transactionId: 'tx-down-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: ['+15550000002/TYPE=PLMN'],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('hello') }],
  });
  t.match(
    sent.pdu && 'responseStatus' in sent.pdu ? sent.pdu.responseStatus : '',
    /^Error-transient-/,
    'MM1 m-send-req: a transient Response-Status',
  );
  t.equal((await fetch(`${ops}/readyz`)).status, 503, 'not ready');
  t.ok(said(cap.lines, /Redis unreachable/), 'the logs say Redis unreachable');
  t.same(
    cap.lines.filter((l) => CLIENT_INTERNALS.test(JSON.stringify(l))).map((l) => l.msg),
    [],
    'no ioredis internals in the logs',
  );
  t.same(await gw.store.queue.stats().catch((e: Error) => e.name), 'StoreUnavailableError', 'the store throws its typed error');
});

t.test(
  'Redis gone after the gateway was ready: MO deliver_sm answered ESME_RX_T_APPN, REST 503, /readyz 503; back once Redis is',
  async (t) => {
    const redis = await RedisServer.start(['--save', '', '--appendonly', 'no']);
    t.teardown(() => redis.stop('SIGKILL'));
    const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
    t.teardown(() => smsc.stop());
    const { gw, cap, mm7, ops } = await start(t, redis.url, {
      smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', enquireLinkMs: 5000 }] },
    });
    await gw.whenReady();
    await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
    t.equal((await fetch(`${ops}/readyz`)).status, 200, 'ready with Redis');
    t.equal(
      await smsc.sendMo({ sourceAddr: '15550000004', destinationAddr: '7050', octets: Buffer.from('hello') }),
      0,
      'an MO taken while Redis is up',
    );

    const before = cap.lines.length;
    await redis.stop('SIGKILL');
    await until('the client sees Redis gone (a warning)', () => cap.lines.slice(before).some((l) => l.level >= 40));
    t.equal(
      await smsc.sendMo({ sourceAddr: '15550000004', destinationAddr: '7050', octets: Buffer.from('hello again') }),
      0x64,
      'MO refused ESME_RX_T_APPN: the SMSC delivers it again later',
    );
    const rest = await restSubmit(mm7);
    t.equal(rest.status, 503, 'REST 503');
    t.ok(rest.ms < 2000, `REST answered in ${Math.round(rest.ms)} ms`);
    t.equal((await fetch(`${ops}/readyz`)).status, 503, '/readyz 503 while the store is away');

    await redis.start();
    await until('ready again', async () => (await fetch(`${ops}/readyz`)).status === 200, 15_000);
    t.equal((await restSubmit(mm7)).status, 202, 'REST accepted again');
    t.ok(said(cap.lines, /Redis unreachable/), 'the logs say Redis unreachable');
    t.notOk(said(cap.lines, CLIENT_INTERNALS), 'no ioredis internals in the logs');
  },
);
