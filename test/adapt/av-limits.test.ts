// The limits around ffmpeg (src/adapt/ffmpeg.ts, process.ts, av.ts): detection and its one log line, no ffmpeg
// (ffmpegPath ''), the deadline (the process killed), at most N runs at once, capped output. A fake ffmpeg
// (a shell script beside the real ffprobe) stands in where the real one would not hang or could not be timed.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { FfmpegAvAdapter } from '../../src/adapt/av.js';
import { detectFfmpeg, parseEncoders, probePathFor, RELEVANT_ENCODERS } from '../../src/adapt/ffmpeg.js';
import { ffmpegLimiter, Limiter, runProcess } from '../../src/adapt/process.js';
import { captureLog } from '../helpers/log-capture.js';
import { failure, installedEncoders, target, videoMp4 } from './av-media.js';

const work = mkdtempSync(join(tmpdir(), 'av-limits-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('detection: version, the relevant encoders, one log line, the gauge', async (t) => {
  const { log, lines } = captureLog('info');
  let gauge = -1;
  const info = await detectFfmpeg('ffmpeg', { logger: log, gauge: { set: (v) => (gauge = v) } });
  t.ok(
    info.available,
    process.env.CI === 'true'
      ? "ffmpeg is REQUIRED in CI: .ci/run installs Debian's ffmpeg; it is missing"
      : 'ffmpeg is installed (audio and video adaptation needs it)',
  );
  if (!info.available && process.env.CI === 'true') throw new Error(`CI without ffmpeg: ${info.reason}`);
  t.equal(gauge, 1);
  const listing = installedEncoders();
  const expected = RELEVANT_ENCODERS.filter((name) => new RegExp(`^ [VAS][A-Z.]{5} ${name} `, 'm').test(listing));
  t.same([...info.encoders].sort(), [...expected].sort(), `encoders: ${expected.join(', ')}`);
  for (const name of ['libx264', 'h263', 'aac', 'libmp3lame'] as const) t.ok(info.encoders.has(name), `Debian's ffmpeg has ${name}`);
  const first = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0] ?? '';
  t.equal(first.split(' ')[2], info.version);
  t.equal(lines.length, 1, 'one log line');
  t.match(lines[0]?.msg ?? '', /libx264/);
  t.equal(info.probePath, 'ffprobe');
});

t.test("ffmpegPath '': not available, no-tool for what must change, unchanged for what fits", async (t) => {
  const { log, lines } = captureLog('info');
  let gauge = -1;
  const av = await FfmpegAvAdapter.create({ ffmpegPath: '', ffmpegTimeoutMs: 5_000 }, { logger: log, gauge: { set: (v) => (gauge = v) } });
  t.equal(av.available, false);
  t.equal(gauge, 0);
  t.equal(lines.length, 1);
  t.equal(lines[0]?.level, 40, 'a warning');
  const bytes = Buffer.alloc(5_000, 1);
  t.equal(await failure(av.adapt(bytes, 'video/mp4', target(['video/mp4'], 1_000))), 'no-tool');
  t.equal(await failure(av.adapt(bytes, 'video/mp4', target(['video/3gpp'], 10_000))), 'no-tool', 'a type not taken');
  t.equal(await av.adapt(bytes, 'video/mp4', target(['video/mp4'], 10_000)), 'unchanged');
  const missing = await detectFfmpeg(join(work, 'no-such-ffmpeg'));
  t.equal(missing.available, false);
  t.match(missing.reason ?? '', /ENOENT|no-such-ffmpeg/);
});

t.test('ffprobe beside the configured ffmpeg; the encoder listing parsed', async (t) => {
  t.equal(probePathFor('/opt/ff/bin/ffmpeg'), '/opt/ff/bin/ffprobe');
  t.equal(probePathFor('/usr/local/bin/ffmpeg-6'), '/usr/local/bin/ffprobe-6');
  t.equal(probePathFor('ffmpeg'), 'ffprobe');
  t.equal(probePathFor('/opt/x/avconv'), '/opt/x/ffprobe');
  const text =
    ' V....D libx264              libx264 H.264\n A..... aac  AAC\n A....D libopencore_amrnb    OpenCORE AMR-NB\n V..... mpeg4 MPEG-4\n';
  t.same([...parseEncoders(text)].sort(), ['aac', 'libopencore_amrnb', 'libx264']);
});

/** A fake ffmpeg: answers detection as the real one, logs each encode's start and end, then runs `body`. */
function fakeFfmpeg(name: string, body: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  const real = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();
  const probe = execFileSync('sh', ['-c', 'command -v ffprobe']).toString().trim();
  const path = join(dir, 'ffmpeg');
  writeFileSync(
    path,
    `#!/bin/bash\ncase "$2" in -version|-encoders) exec ${real} "$@";; esac\necho "$$ start $(date +%s%N)" >> ${dir}/log\n${body}\n`,
  );
  chmodSync(path, 0o755);
  symlinkSync(probe, join(dir, 'ffprobe'));
  return path;
}

const clip = videoMp4(320, 240, 2, { vbitrate: '300k' });

t.test('an ffmpeg that hangs is killed at the deadline: timeout, nothing left behind', async (t) => {
  const path = fakeFfmpeg('hang', 'exec sleep 30');
  const tmpRoot = mkdtempSync(join(work, 'tmp-'));
  const info = await detectFfmpeg(path);
  t.ok(info.available);
  const av = new FfmpegAvAdapter(info, { timeoutMs: 1_000, tmpRoot });
  const started = Date.now();
  t.equal(await failure(av.adapt(clip, 'video/mp4', target(['video/mp4'], clip.length - 1_000))), 'timeout');
  const took = Date.now() - started;
  t.ok(took < 5_000, `answered in ${took} ms`);
  const pid = Number(readFileSync(join(work, 'hang', 'log'), 'utf8').split(' ')[0]);
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `the ffmpeg process ${pid} is gone`);
  t.same(readdirSync(tmpRoot), [], 'its temporary directory removed');
});

t.test('at most `max` runs at once; the default is one per core', async (t) => {
  t.equal(ffmpegLimiter.max, availableParallelism());
  const path = fakeFfmpeg('slow', `sleep 0.4\necho "$$ end $(date +%s%N)" >> ${join(work, 'slow')}/log\nexit 1`);
  const info = await detectFfmpeg(path);
  const av = new FfmpegAvAdapter(info, { timeoutMs: 10_000, limiter: new Limiter(2) });
  const results = await Promise.all(
    [1, 2, 3, 4, 5].map(() => failure(av.adapt(clip, 'video/mp4', target(['video/mp4'], clip.length - 1_000)))),
  );
  t.same(results, Array(5).fill('undecodable'), 'an ffmpeg that fails: undecodable with its stderr');
  const events = readFileSync(join(work, 'slow', 'log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([, kind, at]) => ({ kind, at: BigInt(at ?? '0') }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.kind === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  t.equal(events.length, 10);
  t.equal(most, 2, 'two at once, never more');
});

t.test('output is capped: stdout cut (flagged), stderr keeps its tail', async (t) => {
  const script = "process.stdout.write('o'.repeat(1_000_000)); process.stderr.write('e'.repeat(1_000_000) + 'THE END')";
  const r = await runProcess(process.execPath, ['-e', script], { timeoutMs: 10_000, maxStdoutBytes: 1_000, maxStderrBytes: 100 });
  t.equal(r.code, 0);
  t.equal(r.stdout.length, 1_000);
  t.equal(r.truncated, true);
  t.equal(r.stderr.length, 100);
  t.ok(r.stderr.endsWith('THE END'));
});

t.test('no temporary directory (a file-system failure): an AdaptError, not a crash', async (t) => {
  const info = await detectFfmpeg('ffmpeg');
  const av = new FfmpegAvAdapter(info, { timeoutMs: 10_000, tmpRoot: join(work, 'no', 'such', 'dir') });
  t.equal(await failure(av.adapt(clip, 'video/mp4', target(['video/3gpp'], 10_000))), 'no-tool');
});
