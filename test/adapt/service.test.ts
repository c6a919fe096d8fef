import { Redis } from 'ioredis';
import { pino } from 'pino';
import tap from 'tap';
import { ADAPT_SCOPE, ContentAdaptation, type ContentAdaptationOptions } from '../../src/adapt/service.js';
import { type Capabilities, capabilityClass } from '../../src/adapt/capabilities.js';
import type { AdaptationResult, AdaptTools, PlanAdaptation } from '../../src/adapt/types.js';
import type { CoreMessage } from '../../src/core/message.js';
import type { IdempotencyStore, MediaStore } from '../../src/core/ports.js';
import type { SenderEvent, SenderEvents } from '../../src/core/sender-events.js';
import { Metrics } from '../../src/ops/metrics.js';
import { MemoryIdempotency } from '../../src/store/memory/idempotency.js';
import { MemoryMediaStore } from '../../src/store/memory/media.js';
import { RedisIdempotency } from '../../src/store/redis/idempotency.js';
import { KeySpace } from '../../src/store/redis/keys.js';
import { RedisMediaStore } from '../../src/store/redis/media.js';
import { textMessage } from '../helpers/messages.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

// The service with a small planner passed in: what is tested is "once per (message, class)", the cache, the
// claim across instances, the metrics and the events, not the planner (src/adapt/plan.ts has its own tests).

const CAPS: Capabilities = {
  maxMessageBytes: 300 * 1024,
  maxImageWidth: 640,
  maxImageHeight: 480,
  contentTypes: ['image/jpeg', 'text/plain'],
  source: 'default',
};
const BIG: Capabilities = { ...CAPS, maxMessageBytes: 1024 * 1024, maxImageWidth: 1600, maxImageHeight: 1200, source: 'user-agent' };
const TOOLS = {} as AdaptTools;
const silent = pino({ level: 'silent' });

function message(id: string, recipients = 3, over: Partial<CoreMessage> = {}): CoreMessage {
  return textMessage(id, recipients, Date.now(), {
    contentType: 'multipart/mixed',
    parts: [{ index: 0, contentType: 'image/png', size: 10 }],
    ...over,
  });
}

/** Halves the content (a stand-in "adaptation" whose output depends on the class), counting its calls. */
function halving(delayMs = 0): { plan: PlanAdaptation; calls: string[] } {
  const calls: string[] = [];
  const plan: PlanAdaptation = async (m, content, caps) => {
    calls.push(`${m.id}/${caps.maxImageWidth}`);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const out = content.map((b) => Buffer.concat([b.subarray(0, Math.ceil(b.length / 2)), Buffer.from(String(caps.maxImageWidth))]));
    const before = content.reduce((n, b) => n + b.length, 0);
    const after = out.reduce((n, b) => n + b.length, 0);
    return {
      ok: true,
      outcome: {
        classKey: capabilityClass(caps),
        contentType: 'application/vnd.wap.multipart.related',
        parts: m.parts.map((p, i) => ({ ...p, contentType: 'image/jpeg', size: out[i]!.length })),
        changed: true,
        changes: ['image/png -> image/jpeg'],
        bytesBefore: before,
        bytesAfter: after,
      },
      content: out,
    };
  };
  return { plan, calls };
}

function recorder(): SenderEvents & { seen: { id: string; e: SenderEvent }[] } {
  const seen: { id: string; e: SenderEvent }[] = [];
  return { seen, emit: async (m, e) => void seen.push({ id: m.id, e }) };
}

function service(
  over: Partial<ContentAdaptationOptions> & { plan: PlanAdaptation },
  stores: { media?: MediaStore; idempotency?: IdempotencyStore } = {},
) {
  const metrics = new Metrics();
  const events = recorder();
  const s = new ContentAdaptation({
    media: stores.media ?? new MemoryMediaStore(),
    idempotency: stores.idempotency ?? new MemoryIdempotency(),
    tools: TOOLS,
    metrics: metrics.content,
    events,
    log: silent,
    retentionMs: 3_600_000,
    ...over,
  });
  return { s, metrics, events };
}

async function total(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((n, v) => n + v.value, 0);
}

async function count(
  c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  label: string,
): Promise<number> {
  const v = (await c.get()).values.find((x) => Object.values(x.labels).includes(label));
  return v?.value ?? 0;
}

const ORIGINAL = [Buffer.from('0123456789')];
const load = async () => ORIGINAL;

tap.test('50 recipients of one class at once: one adaptation, one content load, everyone the same bytes', async (t) => {
  const { plan, calls } = halving(30);
  const { s, metrics } = service({ plan });
  const m = message('m1', 50);
  let loads = 0;
  const counted = async () => {
    loads++;
    return ORIGINAL;
  };
  const results = await Promise.all(m.recipients.map((_, i) => s.forRecipient(m, i, CAPS, counted)));
  t.same(calls, ['m1/640']);
  t.equal(loads, 1);
  for (const r of results) t.same(r.ok && r.content.map((b) => b.toString()), ['01234640']);
  t.equal(await count(metrics.content.adaptations, 'adapted'), 1);
  t.equal(await count(metrics.content.cache, 'miss'), 1);
  t.equal(await count(metrics.content.cache, 'hit'), 49);
  t.equal(await total(metrics.content.bytesSaved), 2, '10 bytes became 8');
  const hist = (await metrics.content.seconds.get()).values.find((v) => v.metricName === 'mmsc_adaptation_seconds_count');
  t.equal(hist?.value, 1, 'one message-kind timing');
});

tap.test('two classes: two adaptations, each recipient its own class', async (t) => {
  const { plan, calls } = halving();
  const { s, metrics } = service({ plan });
  const m = message('m2', 4);
  const small = await s.forRecipient(m, 0, CAPS, load);
  const big = await s.forRecipient(m, 1, BIG, load);
  await s.forRecipient(m, 2, CAPS, load);
  await s.forRecipient(m, 3, BIG, load);
  t.same(calls.sort(), ['m2/1600', 'm2/640']);
  t.equal(small.ok && small.content[0]!.toString(), '01234640');
  t.equal(big.ok && big.content[0]!.toString(), '012341600');
  t.equal(await count(metrics.content.adaptations, 'adapted'), 2);
});

tap.test('another instance on the same store: no adaptation, the stored bytes, offsets kept', async (t) => {
  const media = new MemoryMediaStore();
  const idempotency = new MemoryIdempotency();
  const multi: PlanAdaptation = async (_m, content, caps) => {
    const out = [Buffer.from('smil'), Buffer.from('jpeg-bytes'), Buffer.alloc(0), Buffer.from('text')];
    return {
      ok: true,
      outcome: {
        classKey: capabilityClass(caps),
        contentType: 'multipart/related',
        parts: out.map((b, index) => ({ index, contentType: 'text/plain', size: b.length })),
        changed: true,
        changes: ['x'],
        bytesBefore: content.reduce((n, b) => n + b.length, 0),
        bytesAfter: 18,
      },
      content: out,
    };
  };
  const a = service({ plan: multi }, { media, idempotency });
  let planned = 0;
  const b = service({ plan: async (...args) => (planned++, multi(...args)) }, { media, idempotency });
  const m = message('m3', 2);
  await a.s.forRecipient(m, 0, CAPS, load);
  let loaded = false;
  const r = await b.s.forRecipient(m, 1, CAPS, async () => {
    loaded = true;
    return ORIGINAL;
  });
  t.equal(planned, 0, 'not adapted again');
  t.notOk(loaded, 'the original not read');
  t.same(r.ok && r.content.map((x) => x.toString()), ['smil', 'jpeg-bytes', '', 'text']);
  t.equal(await count(b.metrics.content.cache, 'hit'), 1);
  t.equal(await total(b.metrics.content.adaptations), 0);
  const stored = await media.get('adapted', `m3/${capabilityClass(CAPS)}`);
  t.equal(stored?.bytes.toString(), 'smiljpeg-bytestext');
});

tap.test('forbidden: the refusal is the result, cached, counted refused, no event', async (t) => {
  let calls = 0;
  const refuse: PlanAdaptation = async () => {
    calls++;
    return { ok: false, code: 'adaptation-forbidden', detail: 'image/png is not taken and the originator does not allow adaptation' };
  };
  const { s, metrics, events } = service({ plan: refuse });
  const m = message('m4', 3);
  const r1 = await s.forRecipient(m, 0, CAPS, load);
  const r2 = await s.forRecipient(m, 1, CAPS, load);
  t.same(r1, { ok: false, code: 'adaptation-forbidden', detail: 'image/png is not taken and the originator does not allow adaptation' });
  t.same(r2, r1);
  t.equal(calls, 1);
  t.equal(await count(metrics.content.adaptations, 'refused'), 1);
  t.equal(events.seen.length, 0);
});

tap.test('unchanged: counted unchanged, the original content, no bytes stored twice, no event', async (t) => {
  const media = new MemoryMediaStore();
  const same: PlanAdaptation = async (m, content, caps) => ({
    ok: true,
    outcome: {
      classKey: capabilityClass(caps),
      contentType: m.contentType,
      parts: m.parts,
      changed: false,
      changes: [],
      bytesBefore: 10,
      bytesAfter: 10,
    },
    content: [...content],
  });
  const { s, metrics, events } = service({ plan: same }, { media });
  const m = message('m5', 2);
  const r = await s.forRecipient(m, 0, CAPS, load);
  const r2 = await s.forRecipient(m, 1, CAPS, load);
  t.equal(r.ok && r.content[0], ORIGINAL[0]);
  t.equal(r2.ok && r2.content[0], ORIGINAL[0]);
  t.equal(await count(metrics.content.adaptations, 'unchanged'), 1);
  t.equal((await media.get('adapted', `m5/${capabilityClass(CAPS)}`))?.bytes.length, 0);
  t.equal(events.seen.length, 0);
});

tap.test('the adapted event: once per recipient whose content changed, with the changes and the bytes', async (t) => {
  const { plan } = halving();
  const { s, events } = service({ plan });
  const m = message('m6', 2);
  await s.forRecipient(m, 0, CAPS, load);
  await s.forRecipient(m, 0, CAPS, load); // the retrieval after the notification
  await s.forRecipient(m, 1, CAPS, load);
  await new Promise((r) => setImmediate(r));
  t.same(
    events.seen.map((x) => [x.id, x.e.type, x.e.recipientIndex, x.e.detail]),
    [
      ['m6', 'adapted', 0, 'image/png -> image/jpeg (10 -> 8 bytes)'],
      ['m6', 'adapted', 1, 'image/png -> image/jpeg (10 -> 8 bytes)'],
    ],
  );
});

tap.test('a planner that throws: counted failed, thrown, and the next ask adapts again', async (t) => {
  let n = 0;
  const { plan } = halving();
  const flaky: PlanAdaptation = async (...args) => {
    if (n++ === 0) throw new Error('sharp fell over');
    return plan(...args);
  };
  const idempotency = new MemoryIdempotency();
  const { s, metrics } = service({ plan: flaky, waitMs: 50 }, { idempotency });
  const m = message('m7', 1);
  await t.rejects(s.forRecipient(m, 0, CAPS, load), /sharp fell over/);
  t.equal(await count(metrics.content.adaptations, 'failed'), 1);
  const started = Date.now();
  const r = await s.forRecipient(m, 0, CAPS, load);
  t.ok(r.ok);
  t.ok(Date.now() - started < 40, 'the claim was released: no wait');
  t.equal(await count(metrics.content.cache, 'wait'), 0);
});

tap.test('redis, two instances: one adapts, the other waits for its record', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const redis = new Redis(url);
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  const stores = () => ({ media: new RedisMediaStore(redis, prefix), idempotency: new RedisIdempotency(redis, new KeySpace(prefix, 1)) });
  const one = halving(300);
  const two = halving(300);
  const a = service({ plan: one.plan, pollMs: 20 }, stores());
  const b = service({ plan: two.plan, pollMs: 20 }, stores());
  const m = message('m8', 2);
  const [ra, rb] = await Promise.all([a.s.forRecipient(m, 0, CAPS, load), b.s.forRecipient(m, 1, CAPS, load)]);
  t.equal(one.calls.length + two.calls.length, 1, 'adapted once across the two');
  t.same(ra.ok && ra.content[0]!.toString(), '01234640');
  t.same(rb.ok && rb.content[0]!.toString(), '01234640');
  const waits = (await count(a.metrics.content.cache, 'wait')) + (await count(b.metrics.content.cache, 'wait'));
  t.equal(waits, 1);
});

tap.test('redis: a claim whose holder died is waited for waitMs, then the instance adapts itself', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const redis = new Redis(url);
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  const idempotency = new RedisIdempotency(redis, new KeySpace(prefix, 1));
  const m = message('m9', 1);
  await idempotency.claim(ADAPT_SCOPE, `m9/${capabilityClass(CAPS)}`, 'dead-instance', 60_000);
  const { plan, calls } = halving();
  const { s, metrics } = service({ plan, waitMs: 300, pollMs: 20 }, { media: new RedisMediaStore(redis, prefix), idempotency });
  const started = Date.now();
  const r: AdaptationResult = await s.forRecipient(m, 0, CAPS, load);
  const took = Date.now() - started;
  t.ok(took >= 300 && took < 2_000, `waited ${took} ms`);
  t.equal(calls.length, 1);
  t.ok(r.ok);
  t.equal(await count(metrics.content.cache, 'miss'), 1);
});
