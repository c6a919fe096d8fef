// A forward a peer sends again (same X-Mms-Message-ID, same recipients) is answered 250 with the first
// message's id and stored once, on any instance: two listeners on one Redis store, as two gateways.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { DOMAIN, forwardReq, LOCAL, startMm4, transaction } from '../helpers/mm4-listener.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { RawSmtp } from '../helpers/smtp-raw.js';

const PEERS = {
  peers: [
    { id: 'carrier-b', allow: ['127.0.0.1/32'], rate: 1000, burst: 1000 },
    { id: 'carrier-c', allow: ['127.0.0.2/32'], rate: 1000, burst: 1000 },
  ],
};

/** One store as one gateway instance sees it: its own Redis connection, the deployment's prefix. */
async function instanceStore(t: Test, url: string, prefix: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  t.teardown(() => redis.quit());
  return createRedisStore({ redis, prefix });
}

async function send(t: Test, port: number, data: string, o: { from?: string; rcpt?: string } = {}): Promise<string> {
  const { raw } = await RawSmtp.open(port, o.from ? { localAddress: o.from } : {});
  t.teardown(() => raw.end());
  return transaction(raw, data, o.rcpt ? { rcpt: o.rcpt } : {});
}

const queuedAs = (reply: string) => /^250 2\.6\.0 queued as (\S+)$/.exec(reply)?.[1];

t.test('two instances on one Redis: a repeated forward is answered with the first id, stored once', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  t.teardown(() => dropKeys(url, prefix));
  const a = await startMm4(t, PEERS, { store: await instanceStore(t, url, prefix) });
  const b = await startMm4(t, PEERS, { store: await instanceStore(t, url, prefix) });

  const first = queuedAs(await send(t, a.port, forwardReq()));
  t.ok(first, 'the first copy is queued');
  t.equal(queuedAs(await send(t, b.port, forwardReq())), first, 'the repeat on the other instance: the same id');
  t.equal(queuedAs(await send(t, a.port, forwardReq())), first, 'and on the same one');
  t.equal((await a.queue.stats()).waiting, 1, 'one message, one job');
  t.match(
    await b.metrics.registry.metrics(),
    /mmsc_mm4_messages_total\{peer="carrier-b",type="MM4_forward.REQ",result="duplicate",service="mmsc"\} 1/,
  );

  // Not repeats: another X-Mms-Message-ID; the same one from another peer; the same one to other recipients
  // (a peer that got 452 after maxRecipients sends the rest in another transaction).
  const other = queuedAs(await send(t, b.port, forwardReq({ messageId: 'msg-0002@mms.mnc002.mcc001.gprs' })));
  const otherPeer = queuedAs(await send(t, b.port, forwardReq(), { from: '127.0.0.2' }));
  const rest = `+15550002222/TYPE=PLMN@${DOMAIN}`;
  const otherRecipients = queuedAs(await send(t, a.port, forwardReq({ to: `${LOCAL}/TYPE=PLMN@${DOMAIN}, ${rest}` }), { rcpt: rest }));
  t.equal(new Set([first, other, otherPeer, otherRecipients]).size, 4, 'four messages');
  t.equal((await a.queue.stats()).waiting, 4);
});

t.test('two copies at once on two instances: one message', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  t.teardown(() => dropKeys(url, prefix));
  const a = await startMm4(t, PEERS, { store: await instanceStore(t, url, prefix) });
  const b = await startMm4(t, PEERS, { store: await instanceStore(t, url, prefix) });
  const replies = await Promise.all([send(t, a.port, forwardReq()), send(t, b.port, forwardReq())]);
  const ids = replies.map(queuedAs);
  t.ok(ids[0], replies[0]);
  t.equal(ids[1], ids[0], 'both answered with the same id');
  t.equal((await a.queue.stats()).waiting, 1);
});

t.test('a first copy that was refused (store down) does not make the repeat a duplicate of nothing', async (t) => {
  const store = createMemoryStore();
  const down = await startMm4(t, PEERS, { store, enqueueFails: true });
  const up = await startMm4(t, PEERS, { store });
  t.match(await send(t, down.port, forwardReq()), /^451 4\.3\.0 /);
  const id = queuedAs(await send(t, up.port, forwardReq()));
  t.ok(id, 'the retry is stored');
  t.ok(await store.queue.message(id!), 'under the id it was answered with');
  t.equal((await store.queue.stats()).waiting, 1);
});

t.test('mm4.duplicateWindowMs 0: repeats are not recognised (each copy stored)', async (t) => {
  const { port, queue } = await startMm4(t, { ...PEERS, duplicateWindowMs: 0 });
  const one = queuedAs(await send(t, port, forwardReq()));
  const two = queuedAs(await send(t, port, forwardReq()));
  t.not(one, two);
  t.equal((await queue.stats()).waiting, 2);
});
