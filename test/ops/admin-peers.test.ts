// The admin API's peers (src/ops/admin/peers.ts): listing with live state, pause/resume/drain, both roles,
// and holds across two instances on one Redis. Routes are called through the real admin router
// (test/helpers/admin-call.ts: an ops listener with bearer tokens of both roles) and, once, through handle() directly.
import { Redis } from 'ioredis';
import t from 'tap';
import type { Queue } from '../../src/core/ports.js';
import { peerRoutes } from '../../src/ops/admin/peers.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { configuredPeers } from '../../src/peer-directory.js';
import { MemoryQueue } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { adminCall } from '../helpers/admin-call.js';
import { captureLog } from '../helpers/log-capture.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { makeMessage } from '../store/queue-behaviour.js';

const T0 = 1_700_000_000_000;
const parts = () => [Buffer.from('hi')];

const config = ConfigSchema.parse({
  ops: { port: 0 },
  mm1: { port: 0 },
  mm7: { vasps: [{ id: 'acme', username: 'acme', password: 'pw', senders: ['1234'], url: 'http://127.0.0.1:9/mm7', deliveryRate: 7 }] },
  smpp: { smscs: [{ id: 'smsc1', host: '127.0.0.1', port: 1, systemId: 'gw', rate: 30, burst: 5, maxInFlight: 3 }] },
  mm4: { domains: ['mms.example.net'], peers: [{ id: 'carrier', domain: 'mms.other.net', prefixes: ['+44'], out: { host: '127.0.0.1' } }] },
});

function setup(queue: Queue, now = () => T0) {
  const { log, lines } = captureLog('info');
  const routes = peerRoutes({
    queue,
    peers: () => configuredPeers(config),
    link: (id) => (id === 'smpp:smsc1' ? { bound: true } : undefined),
    log,
    now,
  });
  return { routes, lines };
}

t.test('GET /admin/peers lists every configured peer with its queue, link and limits', async (t) => {
  const clock = { now: T0 };
  const queue = new MemoryQueue({ now: () => clock.now });
  const { routes } = setup(queue);
  await queue.enqueue(makeMessage('a', ['+1555000001', '+1555000002']), parts(), ['smpp:smsc1', 'smpp:smsc1']);
  await queue.enqueue(makeMessage('b', ['+1555000003']), parts(), ['unrouted']);
  clock.now = T0 + 2500;
  await queue.take(1);
  const r = await adminCall(routes, 'GET', '/admin/peers', 'read');
  t.equal(r.status, 200);
  const peers = (r.body as { peers: Array<{ id: string }> }).peers;
  t.strictSame(
    peers.map((p) => p.id),
    ['mm7:acme', 'callback:acme', 'smpp:smsc1', 'mm4:carrier', 'mm1:notify', 'mm1:reports', 'unrouted'],
    'configured peers in config order, then any other the queue has jobs for',
  );
  t.strictSame(peers[2], {
    id: 'smpp:smsc1',
    kind: 'smsc',
    name: 'smsc1',
    state: 'active',
    queue: { waiting: 1, inFlight: 1, oldestDueMs: 2500 },
    link: { bound: true },
    limits: { rate: 30, burst: 5, maxInFlight: 3 },
  });
  t.match(peers[0], { kind: 'vasp', name: 'acme', limits: { rate: 7 }, queue: { waiting: 0, inFlight: 0, oldestDueMs: 0 } });
  t.match(peers[6], { id: 'unrouted', kind: 'other', queue: { waiting: 1 } });
  t.match(peers[3], { kind: 'mm4', name: 'carrier' });
});

t.test('pause, drain and resume; a read token may look but not act; an unknown peer is 404', async (t) => {
  const clock = { now: T0 };
  const queue = new MemoryQueue({ now: () => clock.now });
  const { routes, lines } = setup(queue, () => clock.now);
  await queue.enqueue(makeMessage('a', ['+1555000001', '+1555000002']), parts(), ['smpp:smsc1', 'smpp:smsc1']);
  const [inFlight] = await queue.take(1);

  t.equal((await adminCall(routes, 'POST', '/admin/peers/smpp:smsc1/pause', 'read')).status, 403, 'read role refused');
  t.strictSame([...(await queue.peerHolds())], [], 'and nothing held');
  t.match(await adminCall(routes, 'POST', '/admin/peers/smpp:nope/pause'), { status: 404, body: { error: { code: 'PEER_UNKNOWN' } } });
  t.match(await adminCall(routes, 'GET', '/admin/peers/smpp:nope', 'read'), { status: 404 });

  const paused = await adminCall(routes, 'POST', '/admin/peers/smpp%3Asmsc1/pause');
  t.match(paused, { status: 200, body: { id: 'smpp:smsc1', state: 'paused', hold: { mode: 'paused', by: 'token-operate', at: T0 } } });
  t.strictSame(await queue.take(10), [], 'paused: nothing more handed out');
  t.match(
    lines.find((l) => l.msg === 'peer paused'),
    { peer: 'smpp:smsc1', by: 'token-operate' },
    'logged with the token name',
  );

  const draining = await adminCall(routes, 'POST', '/admin/peers/smpp:smsc1/drain');
  t.match(draining, { status: 200, body: { state: 'draining', queue: { inFlight: 1, waiting: 1 }, hold: { mode: 'draining' } } });
  await queue.ack(inFlight!, 'delivered');
  t.match(await adminCall(routes, 'GET', '/admin/peers/smpp:smsc1', 'read'), {
    status: 200,
    body: { state: 'drained', queue: { inFlight: 0 } },
  });

  // The route's own handle(), as the router calls it.
  const resume = routes.find((r) => r.pattern === '/admin/peers/:id/resume')!;
  t.equal(resume.role, 'operate');
  const resumed = await resume.handle({
    method: 'POST',
    params: { id: 'smpp:smsc1' },
    query: new URLSearchParams(),
    body: undefined,
    caller: { name: 'alice', role: 'operate' },
  });
  t.match(resumed, { status: 200, body: { state: 'active', wasHeld: true } });
  t.equal((await queue.take(10)).length, 1, 'resumed: delivered again');
  t.match(await adminCall(routes, 'POST', '/admin/peers/smpp:smsc1/resume'), { status: 200, body: { wasHeld: false } });
});

t.test('two instances on one Redis: a pause through one holds on the other, and shows there', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const clients = [new Redis(url), new Redis(url)];
  t.teardown(async () => {
    await dropKeys(url, prefix);
    for (const c of clients) await c.quit().catch(() => {});
  });
  const [one, two] = clients.map((redis) => createRedisStore({ redis, prefix, shards: 2 }).queue);
  const a = setup(one!, Date.now);
  const b = setup(two!, Date.now);
  const live = (id: string) => makeMessage(id, ['+1555000001'], { expiresAt: Date.now() + 3600_000 });
  for (const id of ['m1', 'm2', 'm3']) await one!.enqueue(live(id), parts(), ['mm7:acme']);

  t.match(await adminCall(a.routes, 'POST', '/admin/peers/mm7:acme/pause'), { status: 200, body: { state: 'paused' } });
  t.strictSame(await two!.take(10), [], 'instance two delivers nothing to the paused peer');
  t.match(await adminCall(b.routes, 'GET', '/admin/peers/mm7:acme', 'read'), {
    status: 200,
    body: { state: 'paused', hold: { by: 'token-operate' }, queue: { waiting: 3 } },
  });
  t.match(await adminCall(b.routes, 'POST', '/admin/peers/mm7:acme/resume'), { status: 200, body: { state: 'active' } });
  t.equal((await one!.take(10)).length, 3, 'resumed through instance two: instance one delivers');
});
