// The admin API's message routes (src/ops/admin/messages.ts) on a real store of each backend: trace, search
// by address in a window with pages, cancel; both roles for each.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildInfo, instanceId } from '../../src/ops/admin/version.js';
import { BACKENDS, adminServer, queueOf } from '../helpers/admin.js';
import { makeMessage } from '../store/queue-behaviour.js';

const HOUR = 3600_000;

for (const backend of BACKENDS) {
  t.test(
    `${backend}: GET /admin/messages/:id traces each recipient: state, peer, attempts, last error, events, content, origin`,
    async (t) => {
      const queue = await queueOf(t, backend, { maxAttempts: 2 });
      const { client } = await adminServer(t, queue);
      const now = Date.now();
      const msg = makeMessage('tr/1', ['+15550000002', '+15550000003'], {
        receivedAt: now,
        expiresAt: now + HOUR,
        origin: { iface: 'mm7', peer: 'vasp-a' },
      });
      await queue.enqueue(msg, [Buffer.from('hello'), Buffer.from([0, 1, 2, 3])], ['smsc:a', 'mm4:b']);
      const jobs = (await queue.take(10, 10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
      await queue.ack(jobs[1]!, 'delivered', 'MM4_forward.RES Ok');
      await queue.retry(jobs[0]!, 'submit_sm: ESME_RTHROTTLED', 0);
      const [again] = await queue.take(10, 10);
      t.equal(await queue.retry(again!, 'submit_sm: ESME_RSYSERR', 0), 'failed');

      for (const role of ['read', 'operate']) {
        const r = await client.call(role, 'GET', '/admin/messages/tr%2F1');
        t.equal(r.status, 200, `${role} may trace`);
        t.match(r.body, {
          id: 'tr/1',
          receivedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + HOUR).toISOString(),
          origin: { iface: 'mm7', peer: 'vasp-a' },
          originator: '+15550000001',
          subject: 'hello',
          content: {
            contentType: 'application/vnd.wap.multipart.related',
            parts: [
              { index: 0, contentType: 'text/plain', size: 5, contentId: '<t>' },
              { index: 1, contentType: 'application/octet-stream', size: 4, contentLocation: 'bin.dat' },
            ],
            totalBytes: 9,
          },
        });
        t.match(r.body.recipients, [
          {
            index: 0,
            address: '+15550000002',
            kind: 'to',
            state: 'failed',
            peer: 'smsc:a',
            attempts: 2,
            lastError: 'submit_sm: ESME_RSYSERR',
            deadLetter: true,
          },
          { index: 1, address: '+15550000003', state: 'delivered', peer: 'mm4:b', attempts: 1, deadLetter: false },
        ]);
        t.strictSame(
          r.body.recipients[0].history.map((e: { state: string; attempt: number; detail?: string }) => [e.state, e.attempt, e.detail]),
          [
            ['queued', 0, undefined],
            ['delivering', 1, undefined],
            ['retrying', 1, 'submit_sm: ESME_RTHROTTLED'],
            ['delivering', 2, undefined],
            ['failed', 2, 'submit_sm: ESME_RSYSERR'],
          ],
        );
        t.equal(r.body.recipients[1].history.at(-1).detail, 'MM4_forward.RES Ok');
        t.notOk('lastError' in r.body.recipients[1], 'no error, no lastError');
      }
      const unknown = await client.call('read', 'GET', '/admin/messages/nope');
      t.equal(unknown.status, 404);
      t.equal(unknown.body.error.code, 'UNKNOWN_MESSAGE');
    },
  );

  t.test(`${backend}: GET /admin/messages searches by recipient or originator in a window, a page at a time`, async (t) => {
    const queue = await queueOf(t, backend);
    const { client } = await adminServer(t, queue);
    const t0 = Date.now() - 10 * 60_000;
    // m0..m6 to +15550000002, a minute apart; m3 also to +15550000003; m5 from another originator.
    for (let i = 0; i < 7; i++) {
      const to = i === 3 ? ['+15550000002', '+15550000003'] : ['+15550000002'];
      const originator = { address: i === 5 ? '+15550000077' : '+15550000001', type: 'plmn' as const };
      await queue.enqueue(
        makeMessage(`m${i}`, to, { receivedAt: t0 + i * 60_000, expiresAt: t0 + HOUR, originator }),
        [Buffer.from('x')],
        to.map(() => 'p'),
      );
    }
    for (const role of ['read', 'operate']) {
      const all = await client.call(role, 'GET', '/admin/messages?recipient=%2B15550000002');
      t.equal(all.status, 200, `${role} may search`);
      t.strictSame(
        all.body.messages.map((m: { id: string }) => m.id),
        ['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0'],
      );
    }
    const one = (await client.call('read', 'GET', '/admin/messages?recipient=%2B15550000003')).body.messages;
    t.match(one, [
      {
        id: 'm3',
        receivedAt: new Date(t0 + 3 * 60_000).toISOString(),
        originator: '+15550000001',
        recipients: [
          { address: '+15550000002', state: 'queued' },
          { address: '+15550000003', state: 'queued' },
        ],
        origin: 'mm1',
        totalBytes: 9,
      },
    ]);
    t.equal(one.length, 1);
    // A '+' written raw reads as a space in a query: taken as the number it meant.
    t.equal((await client.call('read', 'GET', '/admin/messages?recipient=+15550000003')).body.messages[0]?.id, 'm3');
    const window = await client.call(
      'read',
      'GET',
      `/admin/messages?recipient=%2B15550000002&from=${new Date(t0 + 2 * 60_000).toISOString()}&to=${t0 + 4 * 60_000}`,
    );
    t.strictSame(
      window.body.messages.map((m: { id: string }) => m.id),
      ['m4', 'm3', 'm2'],
      'from (ISO) and to (ms), both inclusive',
    );
    const ids: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await client.call('read', 'GET', `/admin/messages?originator=%2B15550000001&limit=2${next ? `&cursor=${next}` : ''}`);
      t.equal(page.status, 200);
      ids.push(...page.body.messages.map((m: { id: string }) => m.id));
      next = page.body.next;
      pages++;
    } while (next && pages < 10);
    t.strictSame(ids, ['m6', 'm4', 'm3', 'm2', 'm1', 'm0'], 'pages of two by originator: m5 is from another');
    t.equal(pages, 3);
    t.strictSame((await client.call('read', 'GET', '/admin/messages?recipient=%2B19999')).body, { messages: [] });
  });

  t.test(`${backend}: POST /admin/messages/:id/cancel cancels what is not being delivered (operate only)`, async (t) => {
    const queue = await queueOf(t, backend);
    const { client } = await adminServer(t, queue);
    const now = Date.now();
    await queue.enqueue(
      makeMessage('c1', ['+15550000002', '+15550000003'], { receivedAt: now, expiresAt: now + HOUR }),
      [Buffer.from('x')],
      ['a', 'b'],
    );
    const [held] = await queue.take(1, 1); // one recipient is being delivered
    const denied = await client.call('read', 'POST', '/admin/messages/c1/cancel');
    t.equal(denied.status, 403);
    t.strictSame(
      await queue.states('c1'),
      held!.recipientIndex === 0 ? ['delivering', 'queued'] : ['queued', 'delivering'],
      'read changed nothing',
    );
    const r = await client.call('operate', 'POST', '/admin/messages/c1/cancel');
    t.equal(r.status, 200);
    t.strictSame(r.body, { id: 'c1', cancelled: 1, inProgress: 1 });
    const trace = await queue.trace('c1');
    const cancelled = trace!.recipients.find((x) => x.index !== held!.recipientIndex)!;
    t.equal(cancelled.state, 'cancelled');
    t.equal(cancelled.history.at(-1)?.detail, 'cancelled by operator (bob)', "the operator's token name in the history");
    t.equal((await client.call('operate', 'POST', '/admin/messages/none/cancel')).status, 404);
  });
}

t.test('GET /admin/version: package version, commit, node, start time, instance (both roles)', async (t) => {
  const { client } = await adminServer(t, await queueOf(t, 'memory'));
  for (const role of ['read', 'operate']) {
    const r = await client.call(role, 'GET', '/admin/version');
    t.equal(r.status, 200);
    t.match(r.body, {
      name: 'mmsc-gateway',
      version: /^\d+\.\d+\.\d+/,
      node: process.version,
      instance: 'test-1',
      startedAt: /^\d{4}-\d\d-\d\dT/,
    });
    t.ok(r.body.uptimeSeconds >= 5, 'started 5 s before the server');
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal((await client.call('read', 'GET', '/admin/version')).body.version, pkg.version);
  t.equal(buildInfo({ MMSC_GIT_COMMIT: '0123abc' }).commit, '0123abc', 'the commit from the environment');
  t.equal(instanceId({ MMSC_INSTANCE_ID: 'pod-7' }), 'pod-7');
});
