/**
 * Image adaptation benchmark (issue 25: a 12-megapixel photo of 2-4 MB to a 300 KB / 640x480 handset, <= 60 ms
 * of CPU per adaptation on one core; and the per-message cost of a cached adaptation). One core: libuv's
 * threadpool and libvips's own threads limited to one (UV_THREADPOOL_SIZE is read when the pool first starts,
 * so it is set before sharp is imported); CPU from process.cpuUsage() (every thread of the process).
 * Run with `npm run bench` (or `node dist/bench/adapt.js` after `npm run build`).
 */
process.env.UV_THREADPOOL_SIZE = '1';

const { default: sharp } = await import('sharp');
const { SharpImageAdapter } = await import('../src/adapt/image.js');
const { MemoryMediaStore } = await import('../src/store/memory/media.js');
type ImageTarget = import('../src/adapt/types.js').ImageTarget;

sharp.concurrency(1);
// No operation cache: every adaptation decodes its input again, as distinct messages would.
sharp.cache(false);

const W = 4000;
const H = 3000;

/** Photo-like: smooth gradients and shading plus per-pixel noise (sensor grain), so it compresses like a photo. */
async function photo(): Promise<Buffer> {
  const raw = Buffer.alloc(W * H * 3);
  let s = 7;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const clamp = (v: number): number => Math.max(0, Math.min(255, v));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const n = (rnd() - 0.5) * 20;
      raw[i] = clamp(128 + 100 * Math.sin(x / 300) + 20 * Math.sin((x * y) / 90_000) + n);
      raw[i + 1] = clamp((y / H) * 200 + 30 * Math.cos((x + y) / 150) + n);
      raw[i + 2] = clamp((x / W) * 180 + 40 * Math.sin(y / 90) + n);
    }
  }
  // A camera's JPEG: quality 92, 4:2:0.
  return sharp(raw, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 92, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

const handset: ImageTarget = {
  maxWidth: 640,
  maxHeight: 480,
  maxBytes: 300 * 1024,
  minQuality: 30,
  maxQuality: 85,
  takes: (t) => t === 'image/jpeg' || t === 'image/gif',
};

interface Figures {
  perSec: number;
  cpuMs: number;
  wallMs: number;
}

async function run(n: number, fn: () => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < 3; i++) await fn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: (n * 1000) / wall, cpuMs: (cpu.user + cpu.system) / 1000 / n, wallMs: wall / n };
}

/** Per second both ways: by the wall clock (the machine's other load shows there) and 1000 / CPU ms (one core's capacity). */
function line(name: string, f: Figures, extra = ''): void {
  console.log(
    `${name.padEnd(48)} ${f.perSec.toFixed(1).padStart(6)} /s wall ${(1000 / f.cpuMs).toFixed(1).padStart(6)} /s per core  ${f.cpuMs.toFixed(1).padStart(6)} ms CPU ${extra}`,
  );
}

const input = await photo();
console.log(`input: 12-megapixel JPEG ${W}x${H}, ${(input.length / 1e6).toFixed(2)} MB; target 640x480, 300 KB; one core`);

const adapter = new SharpImageAdapter();
const { media, report } = await adapter.adaptWithReport(input, 'image/jpeg', handset);
if (media === 'unchanged') throw new Error('the photo should not fit as it is');
const summary = `-> ${media.width}x${media.height} ${media.bytes.length} B q${report.quality}, ${report.encodes} encode(s)`;
const main = await run(30, () => adapter.adapt(input, 'image/jpeg', handset));
line('adapt (SharpImageAdapter)', main, summary);

// A budget that makes the quality search work (the photo at 640x480 q85 is far under 300 KB).
const tight = { ...handset, maxBytes: 24 * 1024 };
const tr = await adapter.adaptWithReport(input, 'image/jpeg', tight);
const tightFig = await run(20, () => adapter.adapt(input, 'image/jpeg', tight));
const tm = tr.media === 'unchanged' ? undefined : tr.media;
line('adapt, 24 KB budget (quality searched)', tightFig, `-> ${tm?.bytes.length} B q${tr.report.quality}, ${tr.report.encodes} encodes`);

const moz = new SharpImageAdapter({ mozjpeg: true });
const mr = await moz.adaptWithReport(input, 'image/jpeg', handset);
const mozFig = await run(20, () => moz.adapt(input, 'image/jpeg', handset));
line('adapt with mozjpeg (trellis)', mozFig, `-> ${mr.media === 'unchanged' ? '' : mr.media.bytes.length} B`);

// References: what shrink-on-load saves.
const noShrink = await run(10, () =>
  sharp(input).rotate().resize(640, 480, { fit: 'inside', fastShrinkOnLoad: false }).jpeg({ quality: 85 }).toBuffer(),
);
line('reference: resize without fast shrink-on-load', noShrink);
const fullDecode = await run(5, () => sharp(input).raw().toBuffer());
line('reference: full 12 MP decode only', fullDecode);

// The cached adaptation (helper 7's ContentAdaptation keeps it in MediaStore kind 'adapted'): a stand-in that
// reads a stored adaptation from the memory MediaStore and slices its part, as a retrieval would.
const store = new MemoryMediaStore();
const meta = JSON.stringify({ classKey: 'bench', parts: [{ offset: 0, length: media.bytes.length, contentType: 'image/jpeg' }] });
await store.put('adapted', 'msg-1/bench', { meta, bytes: media.bytes }, 60_000);
const cached = await run(100_000, async () => {
  const r = await store.get('adapted', 'msg-1/bench');
  if (!r) throw new Error('gone');
  const m = JSON.parse(r.meta) as { parts: { offset: number; length: number }[] };
  const p = m.parts[0];
  return p ? r.bytes.subarray(p.offset, p.offset + p.length) : undefined;
});
console.log(
  `${'cached adaptation (memory MediaStore stand-in)'.padEnd(48)} ${Math.round(cached.perSec).toLocaleString('en').padStart(8)} /s  ${(cached.cpuMs * 1000).toFixed(1).padStart(6)} µs CPU per message`,
);

const ok = main.cpuMs <= 60;
console.log(`target <= 60 ms CPU per adaptation: ${ok ? 'met' : 'NOT met'} (${main.cpuMs.toFixed(1)} ms)`);
