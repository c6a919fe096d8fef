// What an audio or video part becomes, as ffmpeg output arguments: pure decisions from what ffprobe said of the
// input, what the handset takes and the byte budget. Video: H.264 baseline + AAC in MP4 when the handset takes
// video/mp4 and libx264 is there (3GPP TS 26.244 / 26.140: H.264 baseline in MP4/3GP is what MMS handsets
// since Release 6 play), else H.263 baseline at a size H.263 allows (ITU-T H.263 §4.1: sub-QCIF 128x96, QCIF
// 176x144, CIF 352x288) in 3GP with AMR-NB, or AAC when the build has no AMR-NB encoder.
import type { AvTarget } from './types.js';
import { AdaptError } from './types.js';
import { amrEncoder, type FfmpegInfo, mp3Encoder } from './ffmpeg.js';

/** What ffprobe said of the input (src/adapt/av-probe.ts). */
export interface AvProbe {
  /** Seconds. */
  duration: number;
  video?: { codec: string; width: number; height: number; fps: number };
  audio?: { codec: string; channels: number };
}

/** One ffmpeg output: its arguments (between the input and the output path), type and what it is (e.g.
 * "video/mp4 H.264 baseline 404x226 245k + AAC 32k") for the event's note. */
export interface AvPlan {
  contentType: string;
  args: string[];
  note: string;
  width?: number;
  height?: number;
}

/** Video codecs a handset that takes the container plays as they are (no HEVC, VP9, AV1 ...). */
export const PLAYABLE_VIDEO = new Set(['h264', 'h263', 'mpeg4']);

const H263_SIZES: readonly [number, number][] = [
  [352, 288],
  [176, 144],
  [128, 96],
];
const AMR_MODES = [12_200, 10_200, 7_950, 7_400, 6_700, 5_900, 5_150, 4_750];
const MP3_RATES = [128, 112, 96, 80, 64, 56, 48, 40, 32, 24, 16, 8];
/** Below this a picture is not worth sending (bits per second of video). */
const MIN_VIDEO_BPS = 12_000;

/** Bits per second that `budgetBytes` allows over `duration`, after container overhead (a few % + a header). */
export function bitsPerSecond(budgetBytes: number, duration: number, headerBytes: number): number {
  const d = Math.max(duration, 0.1);
  return Math.floor(((budgetBytes - headerBytes) * 8 * 0.96) / d);
}

const common = ['-map_metadata', '-1', '-sn', '-dn', '-threads', '1', '-filter_threads', '1'];
const kbps = (bps: number) => `${Math.max(1, Math.floor(bps / 1000))}k`;

/** AAC bitrate, channels and sample rate for `bps` of audio. */
function aac(bps: number, channels: number): string[] {
  const b = Math.min(bps, 128_000);
  const ch = b >= 96_000 && channels >= 2 ? 2 : 1;
  const rate = b < 12_000 ? 8_000 : b < 24_000 ? 16_000 : b < 48_000 ? 24_000 : 44_100;
  return ['-c:a', 'aac', '-b:a', kbps(b), '-ac', String(ch), '-ar', String(rate)];
}

function amr(encoder: string, bps: number): { args: string[]; bps: number } {
  const mode = AMR_MODES.find((m) => m <= bps) ?? 4_750;
  return { args: ['-c:a', encoder, '-b:a', String(mode), '-ac', '1', '-ar', '8000'], bps: mode };
}

/** The video plan for one attempt at `budgetBytes`. */
export function planVideo(probe: AvProbe, target: AvTarget, info: FfmpegInfo, budgetBytes: number): AvPlan {
  const v = probe.video;
  if (!v) throw new AdaptError('undecodable', 'no video stream');
  const total = bitsPerSecond(budgetBytes, probe.duration, 2_048);
  const mp4 = target.takes('video/mp4') && info.encoders.has('libx264');
  const threeGp = target.takes('video/3gpp') && info.encoders.has('h263');
  if (!mp4 && !threeGp) {
    if (target.takes('video/mp4') || target.takes('video/3gpp')) {
      throw new AdaptError('no-tool', 'ffmpeg has neither libx264 nor h263 for the video types the handset takes');
    }
    throw new AdaptError('cannot-fit', 'the handset takes no video type (video/mp4, video/3gpp)');
  }
  // Audio first: a small fixed share; the picture gets the rest.
  let audioArgs: string[] = ['-an'];
  let audioBps = 0;
  let audioNote = '';
  if (probe.audio) {
    const amrNb = threeGp && !mp4 ? amrEncoder(info) : undefined;
    if (amrNb) {
      const a = amr(amrNb, total >= 80_000 ? 12_200 : 7_950);
      audioArgs = a.args;
      audioBps = a.bps;
      audioNote = ` + AMR-NB ${kbps(a.bps)}`;
    } else {
      audioBps = total >= 400_000 ? 64_000 : total >= 120_000 ? 32_000 : 16_000;
      audioArgs = aac(audioBps, probe.audio.channels);
      audioNote = ` + AAC ${kbps(audioBps)}`;
    }
  }
  const videoBps = total - audioBps;
  if (videoBps < MIN_VIDEO_BPS) {
    throw new AdaptError(
      'cannot-fit',
      `${budgetBytes} bytes for ${probe.duration.toFixed(1)} s leave ${videoBps} b/s of video (under ${MIN_VIDEO_BPS})`,
    );
  }
  const srcFps = v.fps > 0 && Number.isFinite(v.fps) ? v.fps : 25;
  const fps = Math.min(srcFps, videoBps < 64_000 ? 10 : videoBps < 200_000 ? 15 : 25);
  const rate = ['-b:v', kbps(videoBps), '-maxrate', kbps(videoBps), '-bufsize', kbps(videoBps)];
  const fpsArgs = ['-r', String(Math.round(fps * 100) / 100), '-g', String(Math.round(fps * 5))];
  if (mp4) {
    // Pixels the bitrate can carry (about 0.1 bit a pixel a frame for baseline H.264), within the handset's box.
    const maxPixels = videoBps / (fps * 0.1);
    const scale = Math.min(1, target.maxWidth / v.width, target.maxHeight / v.height, Math.sqrt(maxPixels / (v.width * v.height)));
    const w = Math.max(16, Math.floor((v.width * scale) / 2) * 2);
    const h = Math.max(16, Math.floor((v.height * scale) / 2) * 2);
    return {
      contentType: 'video/mp4',
      width: w,
      height: h,
      note: `video/mp4 H.264 baseline ${w}x${h} ${kbps(videoBps)}${audioNote}`,
      args: [
        '-map',
        '0:v:0',
        ...(probe.audio ? ['-map', '0:a:0'] : []),
        '-vf',
        `scale=${w}:${h},setsar=1`,
        '-c:v',
        'libx264',
        '-profile:v',
        'baseline',
        '-level:v',
        '3.0',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        ...rate,
        ...fpsArgs,
        ...audioArgs,
        ...common,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
      ],
    };
  }
  // H.263: the largest allowed size within the box that the bitrate carries (about 0.1 bit a pixel a frame, as for H.264: CIF at 25 fps wants ~250 kb/s),
  // not larger than needed for the source; sub-QCIF at the least.
  const maxPixels = videoBps / (fps * 0.1);
  const fitting = H263_SIZES.filter(([w, h]) => w <= target.maxWidth && h <= target.maxHeight);
  if (fitting.length === 0) throw new AdaptError('cannot-fit', `no H.263 size fits ${target.maxWidth}x${target.maxHeight}`);
  const carried = fitting.filter(([w, h]) => w * h <= maxPixels);
  const candidates = carried.length ? carried : fitting.slice(-1);
  const enough = candidates.filter(([w, h]) => w >= v.width && h >= v.height);
  const [w, h] = (enough.length ? enough[enough.length - 1] : candidates[0]) as [number, number];
  return {
    contentType: 'video/3gpp',
    width: w,
    height: h,
    note: `video/3gpp H.263 ${w}x${h} ${kbps(videoBps)}${audioNote}`,
    args: [
      '-map',
      '0:v:0',
      ...(probe.audio ? ['-map', '0:a:0'] : []),
      '-vf',
      `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1`,
      '-c:v',
      'h263',
      '-pix_fmt',
      'yuv420p',
      ...rate,
      ...fpsArgs,
      ...audioArgs,
      ...common,
      '-f',
      '3gp',
    ],
  };
}

/** Audio outputs in order of preference after the input's own type: AAC in M4A, MP3, AMR-NB, raw AAC (ADTS). */
const AUDIO_TYPES = ['audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/aac'] as const;

/** The audio plan for one attempt at `budgetBytes`; `inputType` is kept when the handset takes it. */
export function planAudio(probe: AvProbe, inputType: string, target: AvTarget, info: FfmpegInfo, budgetBytes: number): AvPlan {
  const a = probe.audio;
  if (!a) throw new AdaptError('undecodable', 'no audio stream');
  const encoderFor = (type: string): string | undefined =>
    type === 'audio/mp4' || type === 'audio/aac'
      ? info.encoders.has('aac')
        ? 'aac'
        : undefined
      : type === 'audio/mpeg'
        ? mp3Encoder(info)
        : type === 'audio/amr'
          ? amrEncoder(info)
          : undefined;
  const order = [inputType, ...AUDIO_TYPES.filter((t) => t !== inputType)].filter((t) => target.takes(t));
  const type = order.find((t) => encoderFor(t) !== undefined);
  if (!type) {
    if (order.some((t) => (AUDIO_TYPES as readonly string[]).includes(t))) {
      throw new AdaptError('no-tool', `ffmpeg has no encoder for the audio types the handset takes (${order.join(', ')})`);
    }
    throw new AdaptError('cannot-fit', 'the handset takes no audio type ffmpeg can make');
  }
  const encoder = encoderFor(type) as string;
  const bps = bitsPerSecond(budgetBytes, probe.duration, type === 'audio/mp4' ? 1_024 : 64);
  const tooLow = (min: number) =>
    new AdaptError('cannot-fit', `${budgetBytes} bytes for ${probe.duration.toFixed(1)} s leave ${bps} b/s (under ${min})`);
  const head = ['-map', '0:a:0', '-vn'];
  if (type === 'audio/amr') {
    if (bps < 4_750) throw tooLow(4_750);
    const x = amr(encoder, bps);
    return { contentType: type, note: `audio/amr AMR-NB ${kbps(x.bps)}`, args: [...head, ...x.args, ...common, '-f', 'amr'] };
  }
  if (type === 'audio/mpeg') {
    const br = MP3_RATES.find((r) => r * 1000 <= bps);
    if (br === undefined) throw tooLow(8_000);
    const rate = br <= 24 ? 16_000 : br < 64 ? 22_050 : 44_100;
    const ch = br >= 96 && a.channels >= 2 ? 2 : 1;
    return {
      contentType: type,
      note: `audio/mpeg MP3 ${br}k`,
      args: [...head, '-c:a', encoder, '-b:a', `${br}k`, '-ac', String(ch), '-ar', String(rate), ...common, '-f', 'mp3'],
    };
  }
  if (bps < 8_000) throw tooLow(8_000);
  const mp4 = type === 'audio/mp4';
  return {
    contentType: type,
    note: `${type} AAC ${kbps(Math.min(bps, 128_000))}`,
    args: [...head, ...aac(bps, a.channels), ...common, ...(mp4 ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'adts'])],
  };
}
