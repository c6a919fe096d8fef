// The image process (src/adapt/image-process.ts): images adapted by sharp in a child process, with real sharp
// and real processes. The same answer as sharp in this process, byte for byte; libvips never loaded where the
// gateway runs (read from /proc/<pid>/maps); a process killed under a request is replaced and the request
// answered; a request in two ended processes is undecodable (and the next one answered by a new process); a
// request past its deadline is a timeout, its process killed; close() ends the process and refuses work.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import t from 'tap';
import { SharpImageAdapter } from '../../src/adapt/image.js';
import { childExecArgv, ImageProcess } from '../../src/adapt/image-process.js';
import { declaredImageType, fromWire, toWire } from '../../src/adapt/image-wire.js';
import { AdaptError, type ImageTarget, type TranscodedMedia } from '../../src/adapt/types.js';

const KB = 1024;

function target(maxWidth: number, maxHeight: number, maxBytes: number, types: string[]): ImageTarget {
  return { maxWidth, maxHeight, maxBytes, minQuality: 30, maxQuality: 85, takes: (type) => types.includes(type) };
}

/** Gaussian noise at `w`x`h`: slow to decode and to fit, so that a request is still in flight when it is killed. */
function noise(w: number, h: number): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const media = (r: TranscodedMedia | 'unchanged'): TranscodedMedia => {
  if (r === 'unchanged') throw new Error('expected new media');
  return r;
};

t.test('the wire form of a target answers what the adapter asks, as the target does', async (t) => {
  const tg = target(640, 480, 100 * KB, ['image/jpeg', 'image/gif']);
  const w = toWire(tg, 'image/GIF; name=x.gif');
  t.same(w.taken, ['image/gif', 'image/jpeg'], 'of bmp, the declared type and jpeg: the two taken');
  const back = fromWire(w);
  t.equal(back.takes('image/gif'), true);
  t.equal(back.takes('image/bmp'), false);
  t.equal(back.takes('image/jpeg'), true);
  t.match(back, { maxWidth: 640, maxHeight: 480, maxBytes: 100 * KB, minQuality: 30, maxQuality: 85 });
  t.same(toWire(target(1, 1, 1, ['image/bmp']), 'image/x-ms-bmp').taken, ['image/bmp'], 'x-ms-bmp is asked as image/bmp');
  t.equal(declaredImageType(' Image/PJPEG ; q=1'), 'image/jpeg');
  t.equal(declaredImageType(''), '');
});

t.test('the image adapter asks takes() about BMP, the declared type and JPEG only (what the wire form carries)', async (t) => {
  const asked = new Set<string>();
  const adapter = new SharpImageAdapter();
  const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
    .gif()
    .toBuffer();
  const inputs: [Buffer, string][] = [
    [await noise(400, 300), 'image/png'],
    [gif, 'image/gif'],
    [await sharp(gif).webp().toBuffer(), 'image/webp'],
    [await sharp(gif).jpeg().toBuffer(), 'image/pjpeg'],
  ];
  for (const [bytes, type] of inputs) {
    for (const types of [[], ['image/jpeg'], [declaredImageType(type)], [declaredImageType(type), 'image/jpeg']]) {
      const tg: ImageTarget = {
        ...target(32, 32, 2 * KB, types),
        takes: (x) => {
          asked.add(`${declaredImageType(type)} ${x}`);
          return types.includes(x);
        },
      };
      await adapter.adapt(bytes, type, tg).catch((e: unknown) => {
        if (!(e instanceof AdaptError)) throw e;
      });
    }
  }
  for (const a of asked) {
    const [declared, x] = a.split(' ');
    t.ok(x === 'image/bmp' || x === 'image/jpeg' || x === declared, `asked ${x} of a ${declared}`);
  }
  t.ok(asked.size >= 5, `${asked.size} distinct questions seen`);
});

t.test('the image process gets the flags that load code, not -e, --inspect or heap limits', async (t) => {
  t.same(
    childExecArgv([
      '--import=file:///a/loader.mjs',
      '--input-type=module',
      '-e',
      'console.log(1)',
      '--inspect=9229',
      '--max-old-space-size=4096',
      '--require',
      './pre.cjs',
      '--enable-source-maps',
      '--experimental-vm-modules',
      '-r',
      'x',
    ]),
    ['--import=file:///a/loader.mjs', '--require', './pre.cjs', '--enable-source-maps', '--experimental-vm-modules', '-r', 'x'],
  );
});

t.test('the same answer as sharp in this process, byte for byte', async (t) => {
  const img = await noise(1200, 900);
  const tg = target(320, 240, 20 * KB, ['image/jpeg']);
  const proc = new ImageProcess();
  t.teardown(() => proc.close());
  const there = media(await proc.adapt(img, 'image/png', tg));
  const here = media(await new SharpImageAdapter().adapt(img, 'image/png', tg));
  t.equal(there.contentType, 'image/jpeg');
  t.ok(there.bytes.length <= 20 * KB, `within the budget (${there.bytes.length} bytes)`);
  const meta = await sharp(there.bytes).metadata();
  t.match(meta, { format: 'jpeg', width: 320, height: 240 });
  t.ok(Buffer.isBuffer(there.bytes), 'the bytes come back as a Buffer');
  t.ok(there.bytes.equals(here.bytes), 'the same JPEG');
  t.equal(there.note, here.note);
  t.equal(await proc.adapt(img, 'image/png', target(2000, 2000, 10_000 * KB, ['image/png'])), 'unchanged');
  await t.rejects(proc.adapt(Buffer.from('not a picture'), 'image/png', tg), AdaptError, 'an AdaptError from the process is one here');
  await t.rejects(proc.adapt(Buffer.from('not a picture'), 'image/png', tg), { name: 'AdaptError', reason: 'undecodable' });
  t.equal(proc.started, 1, 'one process for all of it');
});

t.test('libvips is loaded in the image process, never in the process that asks', async (t) => {
  // A process of its own (this one has loaded sharp for the comparison above), with the tests' loader.
  const here = fileURLToPath(new URL('../../src/adapt/image-process.ts', import.meta.url));
  const pic = fileURLToPath(new URL('../../fixtures/media/pic.png', import.meta.url));
  const script = `
    const { readFileSync } = await import('node:fs');
    const { ImageProcess } = await import(${JSON.stringify(here)});
    const p = new ImageProcess();
    const r = await p.adapt(readFileSync(${JSON.stringify(pic)}), 'image/png', {
      maxWidth: 16, maxHeight: 16, maxBytes: 100000, minQuality: 30, maxQuality: 85, takes: (t) => t === 'image/jpeg' });
    const vips = (pid) => readFileSync('/proc/' + pid + '/maps', 'utf8').includes('libvips');
    console.log(JSON.stringify({ type: r.contentType, width: r.width, asker: vips(process.pid), child: vips(p.pid) }));
    p.close();`;
  const out = execFileSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' });
  const got = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  t.same(got, { type: 'image/jpeg', width: 16, asker: false, child: true });
});

t.test('a process killed under a request: the request goes to a new process and is answered', async (t) => {
  const img = await noise(3000, 2000);
  const tg = target(640, 480, 30 * KB, ['image/jpeg']);
  const ends: string[] = [];
  const proc = new ImageProcess({ ends: { inc: ({ cause }) => ends.push(cause) } });
  t.teardown(() => proc.close());
  await proc.adapt(readFileSync(fileURLToPath(new URL('../../fixtures/media/pic.png', import.meta.url))), 'image/png', tg);
  const first = proc.pid!;
  const pending = proc.adapt(img, 'image/png', tg);
  process.kill(first, 'SIGKILL');
  const r = media(await pending);
  t.equal(r.contentType, 'image/jpeg');
  t.match(await sharp(r.bytes).metadata(), { width: 640, height: 427 });
  t.equal(proc.started, 2, 'a second process');
  t.not(proc.pid, first);
  t.same(ends, ['crash'], 'counted as a crash');
});

t.test('a request in two processes that ended is undecodable; the next one is answered', async (t) => {
  const img = await noise(3000, 2000);
  const tg = target(640, 480, 30 * KB, ['image/jpeg']);
  const proc = new ImageProcess();
  t.teardown(() => proc.close());
  const pending = proc.adapt(img, 'image/png', tg);
  for (let n = 1; n <= 2; n++) {
    await until(() => proc.started === n && proc.pid !== undefined);
    process.kill(proc.pid!, 'SIGKILL');
  }
  await t.rejects(pending, { name: 'AdaptError', reason: 'undecodable', message: /ended twice/ });
  t.equal(await proc.adapt(img, 'image/png', target(4000, 4000, 100_000 * KB, ['image/png'])), 'unchanged', 'a third process answers');
  t.equal(proc.started, 3);
});

t.test('a request past its deadline is a timeout, and its process is killed', async (t) => {
  const img = await noise(3000, 2000);
  const tg = target(640, 480, 30 * KB, ['image/jpeg']);
  const ends: string[] = [];
  const proc = new ImageProcess({ hardTimeoutMs: 50, ends: { inc: ({ cause }) => ends.push(cause) } });
  t.teardown(() => proc.close());
  await t.rejects(proc.adapt(img, 'image/png', tg), { name: 'AdaptError', reason: 'timeout' });
  t.equal(proc.pid, undefined, 'the next request would start a new process');
  t.equal(proc.started, 1);
  await until(() => ends.length > 0);
  t.same(ends, ['overdue'], 'its end counted as overdue, not a crash');
});

t.test('close(): work in flight is refused, later work too, and the process ends', async (t) => {
  const img = await noise(3000, 2000);
  const proc = new ImageProcess();
  const pending = proc.adapt(img, 'image/png', target(640, 480, 30 * KB, ['image/jpeg']));
  await until(() => proc.pid !== undefined);
  const pid = proc.pid!;
  proc.close();
  await t.rejects(pending, /closed/);
  await t.rejects(proc.adapt(img, 'image/png', target(640, 480, 30 * KB, ['image/jpeg'])), /closed/);
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  t.pass('the process is gone');
});
