// The admin API's dead-letter routes (src/ops/admin/dead-letters.ts) on a real store of each backend: list by
// peer and reason, inspect, requeue one and all of a peer, discard; both roles for each.
import t, { type Test } from 'tap';
import type { Queue } from '../../src/core/ports.js';
import { BACKENDS, adminServer, queueOf } from '../helpers/admin.js';
import { makeMessage } from '../store/queue-behaviour.js';

const HOUR = 3600_000;

/** Dead letters: d1 (smsc:a, "ESME_RTHROTTLED"), d2 (smsc:b, "connection refused"), d3 (smsc:a, "Connection refused"). */
async function deadLetters(t: Test, queue: Queue): Promise<void> {
  const now = Date.now();
  const errors: Record<string, string> = { d1: 'ESME_RTHROTTLED', d2: 'connection refused', d3: 'Connection refused' };
  const peers: Record<string, string> = { d1: 'smsc:a', d2: 'smsc:b', d3: 'smsc:a' };
  for (const id of ['d1', 'd2', 'd3']) {
    await queue.enqueue(makeMessage(id, ['+15550000002'], { receivedAt: now, expiresAt: now + HOUR }), [Buffer.from('x')], [peers[id]!]);
    const [job] = await queue.take(1, 1);
    t.equal(await queue.retry(job!, errors[id]!, 0), 'failed', `${id} dead-lettered`);
    await new Promise((r) => setTimeout(r, 3)); // distinct times: the list is newest first
  }
}

const ids = (body: { deadLetters: Array<{ messageId: string }> }) => body.deadLetters.map((d) => d.messageId);

for (const backend of BACKENDS) {
  t.test(`${backend}: list dead letters, by peer and by reason; inspect one`, async (t) => {
    const queue = await queueOf(t, backend, { maxAttempts: 1 });
    const { client } = await adminServer(t, queue);
    await deadLetters(t, queue);
    for (const role of ['read', 'operate']) {
      const all = await client.call(role, 'GET', '/admin/dead-letters');
      t.equal(all.status, 200, `${role} may list`);
      t.strictSame(ids(all.body), ['d3', 'd2', 'd1']);
    }
    t.match((await client.call('read', 'GET', '/admin/dead-letters')).body.deadLetters[0], {
      messageId: 'd3',
      recipient: 0,
      peer: 'smsc:a',
      attempts: 1,
      error: 'Connection refused',
      at: /^\d{4}-/,
    });
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters?peer=smsc:a')).body), ['d3', 'd1']);
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters?reason=refused')).body), ['d3', 'd2']);
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters?peer=smsc%3Aa&reason=REFUSED')).body), ['d3']);
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters?limit=1')).body), ['d3']);
    for (const role of ['read', 'operate']) {
      const one = await client.call(role, 'GET', '/admin/dead-letters/d2/0');
      t.equal(one.status, 200, `${role} may inspect`);
      t.match(one.body, {
        messageId: 'd2',
        recipient: 0,
        peer: 'smsc:b',
        error: 'connection refused',
        address: '+15550000002',
        state: 'failed',
      });
      t.strictSame(
        one.body.history.map((e: { state: string }) => e.state),
        ['queued', 'delivering', 'failed'],
      );
    }
    t.equal((await client.call('read', 'GET', '/admin/dead-letters/d2/1')).status, 404);
    t.equal((await client.call('read', 'GET', '/admin/dead-letters/none/0')).status, 404);
  });

  t.test(`${backend}: requeue one dead letter (operate): due now with fresh attempts, off the list`, async (t) => {
    const queue = await queueOf(t, backend, { maxAttempts: 1 });
    const { client } = await adminServer(t, queue);
    await deadLetters(t, queue);
    t.equal((await client.call('read', 'POST', '/admin/dead-letters/d2/0/requeue')).status, 403);
    t.strictSame(await queue.take(10, 10), [], 'read requeued nothing');
    const r = await client.call('operate', 'POST', '/admin/dead-letters/d2/0/requeue');
    t.equal(r.status, 200);
    t.strictSame(r.body, { messageId: 'd2', recipient: 0, outcome: 'requeued' });
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters')).body), ['d3', 'd1']);
    const jobs = await queue.take(10, 10);
    t.strictSame(
      jobs.map((j) => `${j.messageId} ${j.peer} ${j.attempt}`),
      ['d2 smsc:b 1'],
    );
    t.equal((await client.call('operate', 'POST', '/admin/dead-letters/d2/0/requeue')).status, 404, 'no longer a dead letter');
  });

  t.test(`${backend}: requeue all of a peer (operate); discard one (operate)`, async (t) => {
    const queue = await queueOf(t, backend, { maxAttempts: 1 });
    const { client } = await adminServer(t, queue);
    await deadLetters(t, queue);
    t.equal((await client.call('read', 'POST', '/admin/dead-letters/requeue', { peer: 'smsc:a' })).status, 403);
    const r = await client.call('operate', 'POST', '/admin/dead-letters/requeue', { peer: 'smsc:a' });
    t.equal(r.status, 200);
    t.strictSame(r.body, { peer: 'smsc:a', requeued: 2, expired: 0, gone: 0 });
    t.strictSame((await queue.take(10, 10)).map((j) => j.messageId).sort(), ['d1', 'd3']);
    t.equal((await client.call('read', 'DELETE', '/admin/dead-letters/d2/0')).status, 403);
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters')).body), ['d2'], 'read discarded nothing');
    const del = await client.call('operate', 'DELETE', '/admin/dead-letters/d2/0');
    t.equal(del.status, 200);
    t.strictSame(del.body, { messageId: 'd2', recipient: 0, discarded: true });
    t.strictSame(ids((await client.call('read', 'GET', '/admin/dead-letters')).body), []);
    t.equal((await client.call('operate', 'DELETE', '/admin/dead-letters/d2/0')).status, 404);
    t.strictSame(await queue.states('d2'), ['failed'], 'the recipient stays failed');
    t.strictSame((await client.call('operate', 'POST', '/admin/dead-letters/requeue', { peer: 'nobody' })).body, {
      peer: 'nobody',
      requeued: 0,
      expired: 0,
      gone: 0,
    });
  });
}

t.test('requeue of a dead letter whose message expired: 409, and the entry stays to be discarded', async (t) => {
  const queue = await queueOf(t, 'memory', { maxAttempts: 1 });
  const { client } = await adminServer(t, queue);
  const now = Date.now();
  await queue.enqueue(makeMessage('ex', ['+15550000002'], { receivedAt: now, expiresAt: now + 300 }), [Buffer.from('x')], ['smsc:a']);
  const [job] = await queue.take(1, 1);
  t.equal(await queue.retry(job!, 'down', 0), 'failed');
  await new Promise((r) => setTimeout(r, 400));
  const r = await client.call('operate', 'POST', '/admin/dead-letters/ex/0/requeue');
  t.equal(r.status, 409);
  t.strictSame(r.body, { messageId: 'ex', recipient: 0, outcome: 'expired' });
  t.equal((await client.call('operate', 'DELETE', '/admin/dead-letters/ex/0')).status, 200);
});
