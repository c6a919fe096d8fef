// The choices of audio/video adaptation as pure functions (src/adapt/av-choice.ts, av-probe.ts): the sums
// worked by hand in the comments, the encoders given (an AMR-NB build is not at hand on Debian).
import t from 'tap';
import { bitsPerSecond, planAudio, planVideo } from '../../src/adapt/av-choice.js';
import { parseProbe } from '../../src/adapt/av-probe.js';
import type { FfmpegInfo, RelevantEncoder } from '../../src/adapt/ffmpeg.js';
import { failure, target } from './av-media.js';

const info = (...encoders: RelevantEncoder[]): FfmpegInfo => ({
  available: true,
  path: 'ffmpeg',
  probePath: 'ffprobe',
  encoders: new Set(encoders),
});
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const vga = { duration: 10, video: { codec: 'h264', width: 640, height: 480, fps: 25 }, audio: { codec: 'aac', channels: 2 } };

t.test('bits a second: (budget - header) x 8 x 0.96 / duration', async (t) => {
  t.equal(bitsPerSecond(100_000, 10, 2_048), 75_227); // 97,952 x 7.68 / 10 = 75,227.1 -> floor
});

t.test('3GP at QCIF, 100 KB for 10 s: H.263 176x144 at 10 fps, AAC 16k without AMR-NB, AMR 7.95k with it', async (t) => {
  // 75,227 b/s in all; audio 16,000 (under 120k) -> 59,227 of picture: under 64k -> 10 fps.
  const p = planVideo(vga, target(['video/3gpp'], 100_000, 176, 144), info('h263', 'aac', 'libx264'), 100_000);
  t.equal(p.contentType, 'video/3gpp');
  t.same([p.width, p.height], [176, 144]);
  t.equal(after(p.args, '-c:v'), 'h263');
  t.equal(after(p.args, '-b:v'), '59k');
  t.equal(after(p.args, '-r'), '10');
  t.equal(after(p.args, '-c:a'), 'aac');
  t.equal(after(p.args, '-b:a'), '16k');
  t.equal(after(p.args, '-f'), '3gp');
  const amr = planVideo(vga, target(['video/3gpp'], 100_000, 176, 144), info('h263', 'aac', 'libopencore_amrnb'), 100_000);
  t.equal(after(amr.args, '-c:a'), 'libopencore_amrnb');
  t.equal(after(amr.args, '-b:a'), '7950', 'under 80k in all: the 7.95k mode');
  t.equal(after(amr.args, '-ar'), '8000');
});

t.test('sub-QCIF when the bitrate does not carry QCIF; nothing under 128x96', async (t) => {
  // 30 KB for 10 s: (30,720 - 2,048) x 7.68 / 10 = 22,020 b/s; - 16,000 audio = 6,020 < 12,000: cannot fit.
  t.equal(
    await failure(Promise.resolve().then(() => planVideo(vga, target(['video/3gpp'], 30_720), info('h263', 'aac'), 30_720))),
    'cannot-fit',
  );
  // Without audio: 22,020 b/s at 10 fps carries 22,020 pixels: not QCIF (25,344), sub-QCIF (12,288).
  const mute = { duration: 10, video: vga.video };
  const p = planVideo(mute, target(['video/3gpp'], 30_720), info('h263'), 30_720);
  t.same([p.width, p.height], [128, 96]);
  t.ok(p.args.includes('-an'));
  t.equal(
    await failure(Promise.resolve().then(() => planVideo(mute, target(['video/3gpp'], 1e6, 100, 80), info('h263'), 1e6))),
    'cannot-fit',
  );
});

t.test('MP4 wins when taken and libx264 is there; neither encoder: no-tool; no video type taken: cannot-fit', async (t) => {
  const p = planVideo(vga, target(['video/3gpp', 'video/mp4'], 300_000), info('h263', 'libx264', 'aac'), 300_000);
  t.equal(p.contentType, 'video/mp4');
  t.equal(after(p.args, '-profile:v'), 'baseline');
  t.equal(p.width ? p.width % 2 : 1, 0, 'even width');
  const plan = () => Promise.resolve().then(() => planVideo(vga, target(['video/mp4'], 300_000), info('aac'), 300_000));
  t.equal(await failure(plan()), 'no-tool');
  t.equal(
    await failure(Promise.resolve().then(() => planVideo(vga, target(['image/gif'], 300_000), info('libx264'), 300_000))),
    'cannot-fit',
  );
});

t.test('audio: the input type kept when taken, MP3 at a standard bitrate', async (t) => {
  const mp3 = { duration: 30, audio: { codec: 'mp3', channels: 2 } };
  // (92,000 - 64) x 7.68 / 30 = 23,535 b/s -> the largest MP3 rate under it is 16k, at 16 kHz mono.
  const p = planAudio(mp3, 'audio/mpeg', target(['audio/mp4', 'audio/mpeg'], 100_000), info('aac', 'libmp3lame'), 92_000);
  t.equal(p.contentType, 'audio/mpeg');
  t.equal(after(p.args, '-b:a'), '16k');
  t.equal(after(p.args, '-ar'), '16000');
  t.equal(after(p.args, '-ac'), '1');
  const m4a = planAudio(mp3, 'audio/mpeg', target(['audio/mp4'], 100_000), info('aac', 'libmp3lame'), 92_000);
  t.equal(m4a.contentType, 'audio/mp4');
  t.equal(after(m4a.args, '-f'), 'mp4');
});

t.test('ffprobe JSON: a cover picture is not a video; no duration: unknown', async (t) => {
  const withCover = JSON.stringify({
    format: { duration: '12.5' },
    streams: [
      { codec_type: 'video', codec_name: 'mjpeg', width: 300, height: 300, disposition: { attached_pic: 1 } },
      { codec_type: 'audio', codec_name: 'mp3', channels: 2 },
    ],
  });
  t.same(parseProbe(withCover), { duration: 12.5, audio: { codec: 'mp3', channels: 2 } });
  t.equal(parseProbe(JSON.stringify({ format: {}, streams: [{ codec_type: 'audio', codec_name: 'mp3' }] })), undefined);
  t.equal(parseProbe('not json'), undefined);
  const v = parseProbe(
    JSON.stringify({
      format: { duration: '2' },
      streams: [{ codec_type: 'video', codec_name: 'h264', width: 320, height: 240, avg_frame_rate: '30000/1001' }],
    }),
  );
  t.equal(Math.round((v?.video?.fps ?? 0) * 1000), 29_970);
});
