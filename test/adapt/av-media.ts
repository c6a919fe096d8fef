// Media for the audio/video adaptation tests, made by ffmpeg's own generators (testsrc pictures, sine tones),
// and ffprobe's view of a result: independent of the code under test (src/adapt/av*.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdaptError } from '../../src/adapt/types.js';

/** Run ffmpeg with `args`, the output in a temporary file with extension `ext`; its bytes. */
export function generate(ext: string, args: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'av-test-'));
  try {
    const out = join(dir, `out.${ext}`);
    execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', ...args, '-y', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A test picture (testsrc, with moving noise if asked) of `w`x`h` at `fps` with a 440 Hz tone, `seconds` long, in MP4 (H.264 high + AAC). */
export function videoMp4(
  w: number,
  h: number,
  seconds: number,
  opts: { fps?: number; vbitrate?: string; codec?: string; noise?: boolean } = {},
): Buffer {
  const fps = opts.fps ?? 30;
  return generate('mp4', [
    // Moving noise: hard to compress, like camera footage (testsrc alone shrinks to almost nothing).
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${w}x${h}:rate=${fps}:duration=${seconds}${opts.noise ? ',noise=alls=16:allf=t+u' : ''}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-c:v',
    opts.codec ?? 'libx264',
    ...(opts.codec === 'libx265' ? ['-x265-params', 'log-level=error'] : []),
    '-b:v',
    opts.vbitrate ?? '2M',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-shortest',
  ]);
}

/** A stereo tone, `seconds` long, encoded by `codec` in a container of extension `ext`. */
export function tone(ext: string, seconds: number, codecArgs: string[]): Buffer {
  return generate(ext, ['-f', 'lavfi', '-i', `sine=frequency=660:duration=${seconds}`, '-ac', '2', ...codecArgs]);
}

export interface Probed {
  format: string;
  duration: number;
  video?: { codec: string; profile?: string; width: number; height: number };
  audio?: { codec: string; sampleRate: number; channels: number };
}

/** ffprobe's view of `bytes`. */
export function probe(bytes: Buffer): Probed {
  const dir = mkdtempSync(join(tmpdir(), 'av-probe-'));
  try {
    const file = join(dir, 'x');
    writeFileSync(file, bytes);
    const json = execFileSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]).toString();
    const p = JSON.parse(json) as {
      format: { format_name: string; duration: string };
      streams: {
        codec_type: string;
        codec_name: string;
        profile?: string;
        width?: number;
        height?: number;
        sample_rate?: string;
        channels?: number;
      }[];
    };
    const v = p.streams.find((s) => s.codec_type === 'video');
    const a = p.streams.find((s) => s.codec_type === 'audio');
    return {
      format: p.format.format_name,
      duration: Number(p.format.duration),
      ...(v
        ? { video: { codec: v.codec_name, ...(v.profile ? { profile: v.profile } : {}), width: v.width ?? 0, height: v.height ?? 0 } }
        : {}),
      ...(a ? { audio: { codec: a.codec_name, sampleRate: Number(a.sample_rate), channels: a.channels ?? 0 } } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The encoders of the installed ffmpeg, by its own listing (not the code under test's parser). */
export function installedEncoders(): string {
  return execFileSync('ffmpeg', ['-hide_banner', '-encoders']).toString();
}

/** A target that takes exactly `types`. */
export function target(types: string[], maxBytes: number, maxWidth = 640, maxHeight = 480) {
  return { maxBytes, maxWidth, maxHeight, takes: (t: string) => types.includes(t) };
}

/** The AdaptError reason `p` rejects with ('resolved' when it does not; the error's name when not an AdaptError). */
export async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof AdaptError ? err.reason : String(err);
  }
}
