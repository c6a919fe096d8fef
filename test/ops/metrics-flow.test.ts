import t from 'tap';
import { Metrics } from '../../src/ops/metrics.js';
import { Registry } from 'prom-client';
import { FlowMetrics, throttleLabel } from '../../src/ops/metrics-flow.js';
import { ObservedThrottle, observeQueue } from '../../src/ops/observe-store.js';
import { receiptStateLabel } from '../../src/smpp/edge.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { textMessage } from '../helpers/messages.js';

const LIMITS = { rate: 1, burst: 1, maxInFlight: 10 };

/**
 * The value of the sample line of the exposition (`name{labels} value`) whose labels include every `k="v"`
 * of `labels` (comma-separated, any order), or undefined when absent.
 */
function sample(text: string, name: string, labels: string): number | undefined {
  const wanted = labels.split(',').filter((l) => l !== '');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('per-peer queue depth and oldest-job age come from the injected per-peer stats, in seconds', async (t) => {
  const m = new Metrics();
  let reads = 0;
  m.flow.peerStats = async () => {
    reads++;
    return [
      { peer: 'smsc:a', waiting: 7, leased: 2, oldestDueMs: 90_500 },
      { peer: 'vasp:b', waiting: 0, leased: 1, oldestDueMs: undefined },
    ];
  };
  const text = await m.registry.metrics();
  t.equal(sample(text, 'mmsc_queue_jobs', 'peer="smsc:a",state="waiting"'), 7);
  t.equal(sample(text, 'mmsc_queue_jobs', 'peer="smsc:a",state="leased"'), 2);
  t.equal(sample(text, 'mmsc_queue_jobs', 'peer="vasp:b",state="leased"'), 1);
  t.equal(sample(text, 'mmsc_queue_oldest_job_age_seconds', 'peer="smsc:a"'), 90.5);
  t.equal(sample(text, 'mmsc_queue_oldest_job_age_seconds', 'peer="vasp:b"'), 0, 'nothing waiting: age 0');
  t.equal(reads, 1, 'one read of the store per scrape for both gauges');

  // A peer gone from the store is gone from the scrape (no stale series).
  m.flow.peerStats = async () => [{ peer: 'vasp:b', waiting: 3, leased: 0, oldestDueMs: 1000 }];
  const next = await m.registry.metrics();
  t.equal(sample(next, 'mmsc_queue_jobs', 'peer="smsc:a"'), undefined);
  t.equal(sample(next, 'mmsc_queue_jobs', 'peer="vasp:b",state="waiting"'), 3);
});

t.test('a store that cannot be read leaves its metrics out of the scrape, counted, and /metrics still answers', async (t) => {
  const m = new Metrics();
  m.flow.peerStats = () => Promise.reject(new Error('redis down'));
  m.queueStats = () => Promise.reject(new Error('redis down'));
  t.equal(sample(await m.registry.metrics(), 'mmsc_queue_jobs', 'peer='), undefined);
  // The counter may be read while the failing reads run: the next scrape shows them.
  const text = await m.registry.metrics();
  t.ok((sample(text, 'mmsc_metrics_collect_errors_total', 'source="peer-stats"') ?? 0) >= 1, 'peer-stats failures counted');
  t.ok((sample(text, 'mmsc_metrics_collect_errors_total', 'source="dead-letters"') ?? 0) >= 1, 'dead-letters failures counted');
});

t.test('delivery reports pending is exported only once its source is set', async (t) => {
  const m = new Metrics();
  t.notMatch(await m.registry.metrics(), /mmsc_delivery_reports_pending/);
  m.flow.reportsPending = async () => 4;
  t.match(await m.registry.metrics(), /mmsc_delivery_reports_pending\{service="mmsc"\} 4/);
});

t.test('store durability: 1 or 0 by backend, absent while unknown', async (t) => {
  const m = new Metrics();
  let durable: boolean | undefined;
  m.flow.storeDurable = () => ({ backend: 'redis', durable });
  t.notMatch(await m.registry.metrics(), /mmsc_store_durable\{/, 'unknown: absent (no false alert while Redis connects)');
  durable = false;
  t.match(await m.registry.metrics(), /mmsc_store_durable\{backend="redis",service="mmsc"\} 0/);
  durable = true;
  t.match(await m.registry.metrics(), /mmsc_store_durable\{backend="redis",service="mmsc"\} 1/);
});

t.test('final states through the observed queue: end-to-end latency by interface and state, dead letters', async (t) => {
  const m = new Metrics();
  const store = createMemoryStore({ maxAttempts: 1 });
  const queue = observeQueue(store.queue, m.flow);
  m.queueStats = () => queue.stats();
  const now = Date.now();
  // Entered 7 s ago by REST: delivered now.
  await queue.enqueue(
    textMessage('m-rest', 1, now, { receivedAt: now - 7000, origin: { iface: 'rest', peer: 'vasp-a' } }),
    [Buffer.from('x')],
    ['smsc:a'],
  );
  const [job] = await queue.take(10);
  await queue.ack(job!, 'delivered');
  // Entered by MM7, its one attempt fails: a dead letter.
  await queue.enqueue(textMessage('m-mm7', 1, now), [Buffer.from('y')], ['vasp:b']);
  const [dead] = await queue.take(10);
  t.equal(await queue.retry(dead!, 'peer down', 10), 'failed');
  // Entered by MM1, ended from outside (the handset fetched it).
  await queue.enqueue(textMessage('m-mm1', 1, now, { origin: { iface: 'mm1', peer: '+15550000001' } }), [Buffer.from('z')], ['mm1:notify']);
  const [notified] = await queue.take(10);
  await queue.wait(notified!, 'notification pushed', 60_000);
  t.equal(await queue.complete('m-mm1', 0, 'delivered', 'retrieved'), 'completed');
  await new Promise((r) => setTimeout(r, 20)); // the message is read after complete answers

  const text = await m.registry.metrics();
  const bucket = (iface: string, state: string, le: string) =>
    sample(text, 'mmsc_message_end_to_end_duration_seconds_bucket', `interface="${iface}",state="${state}",le="${le}"`);
  t.equal(bucket('rest', 'delivered', '5'), 0, 'REST: not within 5 s');
  t.equal(bucket('rest', 'delivered', '10'), 1, 'REST: within 10 s');
  t.equal(bucket('mm7', 'failed', '+Inf'), 1, 'MM7: failed');
  t.equal(bucket('mm1', 'delivered', '+Inf'), 1, 'MM1: ended by complete');
  t.equal(sample(text, 'mmsc_queue_dead_letters_added_total', 'peer="vasp:b"'), 1);
  t.match(text, /mmsc_queue_dead_letters\{service="mmsc"\} 1/);
  t.equal(sample(text, 'mmsc_origin_final_states_total', 'interface="rest",origin="vasp-a",state="delivered"'), 1, 'per sender: the VASP');
  t.equal(sample(text, 'mmsc_origin_final_states_total', 'interface="mm7",origin="vasp-test",state="failed"'), 1);
  t.equal(
    sample(text, 'mmsc_origin_final_states_total', 'interface="mm1",origin="subscriber",state="delivered"'),
    1,
    'a handset: subscriber',
  );
  t.notMatch(text, /15550000001/, 'the origin peer of a handset (a phone number) is no label value');
  await store.queue.close();
});

t.test('reports and acknowledgements the gateway makes are not counted as submissions', async (t) => {
  const m = new Metrics();
  const store = createMemoryStore();
  const queue = observeQueue(store.queue, m.flow);
  const now = Date.now();
  const report = textMessage('r-1', 1, now, {
    report: {
      kind: 'delivery',
      messageId: 'm-1',
      recipientIndex: 0,
      to: { iface: 'mm7', peer: 'vasp-test' },
      status: 'delivered',
      at: now,
    },
  });
  await queue.enqueue(report, [Buffer.from('x')], ['vasp:b']);
  const [job] = await queue.take(10);
  await queue.ack(job!, 'delivered');
  await queue.enqueue(textMessage('m-2', 1, now), [Buffer.from('y')], ['vasp:b']);
  const [real] = await queue.take(10);
  await queue.ack(real!, 'delivered');
  const text = await m.registry.metrics();
  t.equal(sample(text, 'mmsc_message_end_to_end_duration_seconds_count', 'interface="mm7",state="delivered"'), 1, 'only the message');
  await store.queue.close();
});

t.test('the observed queue passes every other method through, methods added later included', async (t) => {
  const m = new Metrics();
  const store = createMemoryStore();
  const extra = Object.assign(store.queue, { peerStats: async () => [{ peer: 'x' }] });
  const queue = observeQueue(extra, m.flow) as typeof extra;
  t.same(await queue.peerStats(), [{ peer: 'x' }]);
  t.same(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });
  await store.queue.close();
});

t.test('throttle waits and refusals per peer; a subscriber key never becomes a label', async (t) => {
  t.equal(throttleLabel('mm1-sub:+15551234567'), 'mm1-sub');
  t.equal(throttleLabel('smsc:a'), 'smsc:a');
  const m = new Metrics();
  const store = createMemoryStore();
  const throttle = new ObservedThrottle(store.throttle, m.flow);
  const until = Date.now() + 10_000;
  const grant = await throttle.acquire(
    'smsc:a',
    [
      { lease: 'l1', leaseUntil: until },
      { lease: 'l2', leaseUntil: until },
      { lease: 'l3', leaseUntil: until },
    ],
    LIMITS,
  );
  await throttle.acquire('mm1-sub:+15551234567', [{ lease: 'l4', leaseUntil: until }], LIMITS);
  const text = await m.registry.metrics();
  t.equal(sample(text, 'mmsc_throttle_wait_seconds_count', 'peer="smsc:a"'), grant.granted);
  t.equal(sample(text, 'mmsc_throttle_deferred_total', 'peer="smsc:a"'), 3 - grant.granted);
  t.ok(grant.granted < 3, 'the burst of 1 refuses some');
  t.equal(sample(text, 'mmsc_throttle_wait_seconds_count', 'peer="mm1-sub"'), 1);
  t.notMatch(text, /15551234567/, 'no phone number in any label');
  await throttle.release('smsc:a', 'l1');
  await throttle.close();
});

t.test('embedded-store gauges: one metric per unit, only with a store that has limits', async (t) => {
  const m = new Metrics();
  t.notMatch(await m.registry.metrics(), /mmsc_store_messages/);
  m.storeUsage = () => ({ messages: 2, bytes: 300, maxMessages: 10, maxBytes: 1000 });
  const text = await m.registry.metrics();
  t.match(text, /mmsc_store_messages\{service="mmsc"\} 2/);
  t.match(text, /mmsc_store_bytes\{service="mmsc"\} 300/);
  t.match(text, /mmsc_store_max_messages\{service="mmsc"\} 10/);
  t.match(text, /mmsc_store_max_bytes\{service="mmsc"\} 1000/);
});

t.test('SMSC receipt states: the SMPP 3.4 Appendix B set, anything else OTHER', async (t) => {
  t.equal(receiptStateLabel('DELIVRD'), 'DELIVRD');
  t.equal(receiptStateLabel('undeliv'), 'UNDELIV');
  t.equal(receiptStateLabel('+15551234567'), 'OTHER', 'free text never becomes a label value');
  t.equal(receiptStateLabel('DELIVRD2'), 'OTHER');
});

t.test('a store read that hangs is given up after the read timeout: the scrape still answers', async (t) => {
  const registry = new Registry();
  const flow = new FlowMetrics(registry, 50);
  flow.peerStats = () => new Promise(() => undefined);
  flow.deadLetterCount = async () => 2;
  const started = Date.now();
  const text = await registry.metrics();
  t.ok(Date.now() - started < 2000, 'answered without the hung read');
  t.equal(sample(text, 'mmsc_queue_jobs', 'peer='), undefined);
  t.match(text, /mmsc_queue_dead_letters 2/, 'the other reads are in');
  t.ok((sample(await registry.metrics(), 'mmsc_metrics_collect_errors_total', 'source="peer-stats"') ?? 0) >= 1, 'counted');
});
