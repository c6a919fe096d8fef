// What an audio or video file is, from ffprobe's JSON: its duration and first video and audio streams. The
// input is hostile: only local files, only the demuxers of media MMS carries (an HLS playlist or a concat list
// could otherwise make ffmpeg read other files or URLs), the output capped.
import { AdaptError } from './types.js';
import type { AvProbe } from './av-choice.js';
import type { FfmpegInfo } from './ffmpeg.js';
import { type Limiter, runProcess } from './process.js';

/** Demuxers taken as input (ffmpeg names; `mov` is MP4/3GP/M4A). Passed to ffprobe and ffmpeg alike. */
export const INPUT_FORMATS = 'mov,mp4,m4a,3gp,3g2,mj2,amr,mp3,aac,matroska,webm,avi,ogg,wav,flac,mpegts,mpeg';

/** Input options for ffprobe and ffmpeg: local files only, known demuxers only. */
export const INPUT_GUARD = ['-protocol_whitelist', 'file', '-format_whitelist', INPUT_FORMATS];

interface ProbeJson {
  format?: { duration?: string };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    channels?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    disposition?: { attached_pic?: number };
  }[];
}

function rate(s: string | undefined): number {
  const m = /^(\d+)\/(\d+)$/.exec(s ?? '');
  if (!m) return 0;
  const d = Number(m[2]);
  return d > 0 ? Number(m[1]) / d : 0;
}

/** ffprobe's JSON -> AvProbe; undefined when it names no duration or no stream. */
export function parseProbe(json: string): AvProbe | undefined {
  let p: ProbeJson;
  try {
    p = JSON.parse(json) as ProbeJson;
  } catch {
    return undefined;
  }
  const streams = Array.isArray(p.streams) ? p.streams : [];
  // A cover picture of an MP3 or M4A is a "video" stream with attached_pic: not a video.
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const a = streams.find((s) => s.codec_type === 'audio');
  const duration = Number(p.format?.duration ?? v?.duration ?? a?.duration);
  if (!(duration > 0) || (!v && !a)) return undefined;
  const out: AvProbe = { duration };
  if (v && (v.width ?? 0) > 0 && (v.height ?? 0) > 0) {
    const fps = rate(v.avg_frame_rate) || rate(v.r_frame_rate);
    out.video = { codec: v.codec_name ?? 'unknown', width: v.width as number, height: v.height as number, fps };
  }
  if (a) out.audio = { codec: a.codec_name ?? 'unknown', channels: a.channels ?? 1 };
  return out.video || out.audio ? out : undefined;
}

/** Probe the file at `path`; AdaptError undecodable when ffprobe cannot read it, timeout when it hangs. */
export async function probeFile(info: FfmpegInfo, path: string, timeoutMs: number, limiter?: Limiter): Promise<AvProbe> {
  const args = [
    '-v',
    'error',
    ...INPUT_GUARD,
    '-show_entries',
    'format=duration:stream=codec_type,codec_name,width,height,channels,avg_frame_rate,r_frame_rate,duration:stream_disposition=attached_pic',
    '-of',
    'json',
    path,
  ];
  const r = await runProcess(info.probePath, args, { timeoutMs, maxStdoutBytes: 256 * 1024, ...(limiter ? { limiter } : {}) });
  if (r.timedOut) throw new AdaptError('timeout', `ffprobe did not end within ${timeoutMs} ms`);
  if (r.code !== 0 || r.truncated) {
    throw new AdaptError(
      'undecodable',
      `ffprobe: ${r.truncated ? 'output over 256 KiB' : r.stderr.trim().slice(-300) || `exit ${r.code}`}`,
    );
  }
  const probe = parseProbe(r.stdout.toString('utf8'));
  if (!probe) throw new AdaptError('undecodable', 'ffprobe found no audio or video stream with a duration');
  return probe;
}
