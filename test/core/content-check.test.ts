// Validation of every part at intake (issue 25): the probe a content stage records while a part streams in
// (its first bytes, size, UTF-8 and NUL checks), the type check from a probe, and Intake refusing a
// submission whose part lies about its type, over both store backends, with nothing stored.
import { Redis } from 'ioredis';
import pino from 'pino';
import t from 'tap';
import { Intake, type IntakeResult, type SubmitRequest } from '../../src/core/intake.js';
import type { ContentRef, CoreMessage } from '../../src/core/message.js';
import { buildMessage } from '../../src/core/message-builder.js';
import { PROBE_BYTES, ProbeRecorder, probeOf } from '../../src/core/media-probe.js';
import { checkProbe } from '../../src/core/media-type.js';
import type { ContentStage, Queue } from '../../src/core/ports.js';
import type { Router } from '../../src/core/router.js';
import { DEFAULT_ALLOWED_TYPES } from '../../src/ops/config-content.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { ELF, TINY_AMR, TINY_GIF, TINY_JPEG, TINY_PNG } from '../helpers/media.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';

const log = pino({ level: 'silent' });
const ALLOWED = [...DEFAULT_ALLOWED_TYPES];
const router: Router = {
  route: () => ({ peer: 'local', limits: { rate: 10, burst: 10, maxInFlight: 1 }, send: async () => ({ status: 'delivered' }) }),
};

async function verdict(...args: Parameters<typeof checkProbe>): Promise<string> {
  try {
    return await checkProbe(...args);
  } catch (err) {
    return `! ${(err as { reason: string }).reason}: ${(err as Error).message}`;
  }
}

t.test('a probe recorded piece by piece is the probe of the whole part', async (t) => {
  const text = Buffer.from('Grüße aus Köln, ☀ '.repeat(400)); // > PROBE_BYTES, multi-byte characters
  const r = new ProbeRecorder();
  // One byte at a time at first: every multi-byte character is cut between writes.
  for (let i = 0; i < 64; i++) r.write(text.subarray(i, i + 1));
  for (let at = 64; at < text.length; at += 1000) r.write(text.subarray(at, Math.min(at + 1000, text.length)));
  const p = r.probe();
  t.equal(p.size, text.length);
  t.equal(p.head.length, PROBE_BYTES, 'the head holds PROBE_BYTES, no more');
  t.same(Buffer.from(p.head), text.subarray(0, PROBE_BYTES));
  t.equal(p.utf8, true, 'characters cut between writes are whole again');
  t.equal(p.nul, false);
  t.equal(r.probe(), p, 'asked again: the same probe');
  t.throws(() => r.write(Buffer.from('x')), /after it ended/);

  t.equal(probeOf(Buffer.from([0x61, 0xe2, 0x98])).utf8, false, 'a character cut at the end is not UTF-8');
  t.equal(probeOf(Buffer.from([0xc3, 0x28])).utf8, false, 'a bad continuation byte');
  const late = new ProbeRecorder();
  late.write(Buffer.alloc(PROBE_BYTES + 10, 0x41));
  late.write(Buffer.from([0x41, 0x00, 0x41]));
  t.match(late.probe(), { utf8: true, nul: true, size: PROBE_BYTES + 13 }, 'a NUL after the head is seen');
});

t.test('the type check from a probe: magic numbers, text by its charset, WBMP by its size', async (t) => {
  t.equal(await verdict(probeOf(TINY_JPEG), 'image/jpeg', ALLOWED), 'image/jpeg');
  t.equal(await verdict(probeOf(TINY_PNG), 'image/png', ALLOWED), 'image/png');
  t.equal(await verdict(probeOf(TINY_GIF), 'image/gif', ALLOWED), 'image/gif');
  t.equal(await verdict(probeOf(TINY_AMR), 'audio/amr', ALLOWED), 'audio/amr');
  t.equal(await verdict(probeOf(ELF), 'image/jpeg', ALLOWED), '! type-mismatch: declared image/jpeg, but the bytes are application/x-elf');
  t.equal(await verdict(probeOf(TINY_PNG), 'image/jpeg', ALLOWED), '! type-mismatch: declared image/jpeg, but the bytes are image/png');
  t.equal(
    await verdict(probeOf(TINY_JPEG), 'application/x-msdownload', ALLOWED),
    '! type-not-allowed: application/x-msdownload is not an allowed media type',
  );
  const latin1 = Buffer.from('caf\xe9', 'latin1');
  t.match(await verdict(probeOf(latin1), 'text/plain', ALLOWED), /^! type-mismatch: .*not UTF-8/, 'no charset: UTF-8');
  t.equal(await verdict(probeOf(latin1), 'text/plain', ALLOWED, 'iso-8859-1'), 'text/plain', 'an 8-bit charset by name');
  t.equal(await verdict(probeOf(latin1), 'text/plain', ALLOWED, 4), 'text/plain', 'by WSP MIBenum (4: ISO-8859-1)');
  t.equal(await verdict(probeOf(latin1), 'text/plain; charset="ISO-8859-1"', ALLOWED), 'text/plain', 'the parameter of the value');
  t.match(
    await verdict(probeOf(Buffer.from('a\0b')), 'text/plain', ALLOWED, 'iso-8859-1'),
    /^! type-mismatch/,
    'a NUL is never 8-bit text',
  );
  t.equal(await verdict(probeOf(Buffer.from('hé', 'utf16le')), 'text/plain', ALLOWED, 'utf-16le'), 'text/plain', 'UTF-16 has NULs');
  t.equal(await verdict(probeOf(Buffer.from('hé', 'utf16le')), 'text/plain', ALLOWED, 1015), 'text/plain', 'UTF-16 by MIBenum');
  t.match(
    await verdict(probeOf(ELF), 'text/plain', ALLOWED, 'utf-16'),
    /^! type-mismatch: declared text\/plain, but the bytes are application\/x-elf/,
  );
  // WBMP: a 9x2 image is 4 header bytes then 2 bytes a row; the size decides, the head only holds the header.
  const wbmp = Buffer.from([0, 0, 9, 2, 0xff, 0x80, 0, 0]);
  t.equal(await verdict(probeOf(wbmp), 'image/vnd.wap.wbmp', ALLOWED), 'image/vnd.wap.wbmp');
  const big = Buffer.concat([Buffer.from([0, 0, 0x81, 0x00, 0x81, 0x00]), Buffer.alloc(16 * 128)]); // 128x128
  const r = new ProbeRecorder();
  for (let at = 0; at < big.length; at += 700) r.write(big.subarray(at, at + 700));
  t.equal(await verdict(r.probe(), 'image/vnd.wap.wbmp', ALLOWED), 'image/vnd.wap.wbmp', 'a WBMP longer than the head');
  t.match(await verdict(probeOf(big.subarray(0, big.length - 1)), 'image/vnd.wap.wbmp', ALLOWED), /^! type-mismatch/, 'a byte short');
});

/** A message of the given parts (content types and names) from `iface`, as an edge's build makes it. */
function messageOf(id: string, now: number, parts: { type: string; name: string; size: number }[]): CoreMessage {
  const refs: ContentRef[] = parts.map((p, index) => ({ index, contentType: p.type, contentLocation: p.name, size: p.size }));
  return buildMessage({
    id,
    now,
    originator: { address: 'shop', type: 'shortcode' },
    recipients: [{ address: '+15550000002', type: 'plmn', kind: 'to' }],
    origin: { iface: 'mm7', peer: 'shop' },
    contentType: 'application/vnd.wap.multipart.mixed',
    parts: refs,
    lifetime: { defaultMs: 3_600_000 },
  });
}

/** Streams the parts into a stage of `queue` in pieces of 1000 bytes, as an edge's parser does. */
async function streamed(queue: Queue, id: string, parts: Buffer[]): Promise<ContentStage> {
  const stage = queue.stage(id, 60_000);
  for (const bytes of parts) {
    const w = stage.part();
    for (let at = 0; at < bytes.length; at += 1000) w.write(bytes.subarray(at, at + 1000));
    w.end();
  }
  await stage.drain();
  return stage;
}

function request(parts: { type: string; name: string; bytes: Buffer }[], content: (id: string) => Promise<ContentStage> | Buffer[]) {
  return async (id: string): Promise<SubmitRequest> => {
    const c = await content(id);
    return {
      from: { kind: 'vasp', id: 'shop' },
      unroutable: 'enqueue-rejected',
      messageId: id,
      build: (mid, now) => ({
        message: messageOf(
          mid,
          now,
          parts.map((p) => ({ type: p.type, name: p.name, size: p.bytes.length })),
        ),
        content: c,
      }),
    };
  };
}

const TEXT = Buffer.from('Your parcel is on its way ☀');
const EVIL = [
  { type: 'text/plain', name: 'note.txt', bytes: TEXT },
  { type: 'image/jpeg', name: 'photo.jpg', bytes: Buffer.concat([ELF, Buffer.alloc(20_000, 0x90)]) },
];
const GOOD = [
  { type: 'text/plain', name: 'note.txt', bytes: TEXT },
  { type: 'image/jpeg', name: 'photo.jpg', bytes: TINY_JPEG },
  { type: 'audio/amr', name: 'hello.amr', bytes: TINY_AMR },
];

for (const backend of ['memory', 'redis'] as const) {
  t.test(`${backend} store: an executable declared image/jpeg is refused and nothing of it is stored`, async (t) => {
    let queue: Queue;
    let keys: () => Promise<string[]> = async () => [];
    if (backend === 'memory') queue = createMemoryStore().queue;
    else {
      const redis = new Redis(await redisUrl(t));
      const prefix = testPrefix();
      t.teardown(async () => {
        const left = await redis.keys(`${prefix}*`);
        if (left.length) await redis.del(...left);
        await redis.quit();
      });
      queue = createRedisStore({ redis, prefix }).queue;
      keys = () => redis.keys(`${prefix}*`);
    }
    const refusals: string[] = [];
    const intake = new Intake({
      queue,
      throttle: createMemoryStore().throttle,
      router,
      log,
      content: { allowedTypes: () => ALLOWED, refused: (iface, reason) => refusals.push(`${iface}:${reason}`) },
    });
    const stage = (parts: Buffer[]) => (id: string) => streamed(queue, id, parts);

    const bad: IntakeResult = await intake.submit(await request(EVIL, stage(EVIL.map((p) => p.bytes)))('evil-1'));
    t.equal(bad.ok, false);
    if (!bad.ok) {
      t.equal(bad.refusal.code, 'content-type-mismatch');
      t.equal(bad.refusal.message, 'part 2 (photo.jpg): declared image/jpeg, but the bytes are application/x-elf');
    }
    t.same(refusals, ['mm7:type-mismatch'], 'counted by interface and reason');
    t.equal(await queue.message('evil-1'), undefined, 'no message stored');
    t.same(await keys(), [], 'the stage was discarded: no key left');

    const good = await intake.submit(await request(GOOD, stage(GOOD.map((p) => p.bytes)))('good-1'));
    t.match(good, { ok: true, messageId: 'good-1' }, 'real media streamed in is accepted');
    t.equal((await queue.message('good-1'))?.parts.length, 3);

    // Parts handed as buffers (MM1, REST JSON) are checked the same way.
    const listed = await intake.submit(await request(EVIL, () => EVIL.map((p) => p.bytes))('evil-2'));
    t.match(listed, { ok: false, refusal: { code: 'content-type-mismatch' } });
    t.equal(await queue.message('evil-2'), undefined);
    const notAllowed = [{ type: 'application/x-msdownload', name: 'setup.exe', bytes: ELF }];
    const r = await intake.submit(await request(notAllowed, () => [ELF])('exe-1'));
    t.match(r, {
      ok: false,
      refusal: { code: 'content-type-mismatch', message: /part 1 \(setup\.exe\): application\/x-msdownload is not an allowed/ },
    });
    t.same(refusals, ['mm7:type-mismatch', 'mm7:type-mismatch', 'mm7:type-not-allowed']);
    await queue.close?.();
  });
}
