// Finding ffmpeg at start (content.ffmpegPath): whether it runs, its version, and which of the encoders that
// MMS audio and video need it has. Debian's ffmpeg has libx264, h263, aac and libmp3lame but no AMR-NB
// encoder (libopencore_amrnb is left out of its build); docs/adaptation.md "Audio and video".
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { runProcess } from './process.js';

/** The encoders adaptation chooses between (src/adapt/av-choice.ts). */
export const RELEVANT_ENCODERS = ['libx264', 'h263', 'aac', 'libopencore_amrnb', 'libvo_amrnbenc', 'libmp3lame', 'libshine'] as const;
export type RelevantEncoder = (typeof RELEVANT_ENCODERS)[number];

/** What was found. `available` false: no audio or video adaptation (AvAdapter answers no-tool). */
export interface FfmpegInfo {
  available: boolean;
  /** The ffmpeg binary as configured ('' = none). */
  path: string;
  /** ffprobe: beside ffmpeg when ffmpegPath names a file in a directory, else looked up on PATH. */
  probePath: string;
  /** e.g. "5.1.9-0+deb12u1". */
  version?: string;
  /** The relevant encoders this build has. */
  encoders: ReadonlySet<RelevantEncoder>;
  /** Why it is not available. */
  reason?: string;
}

/** ffprobe's path for a configured ffmpeg path: the same directory, the name with ffmpeg replaced. */
export function probePathFor(ffmpegPath: string): string {
  if (ffmpegPath === '') return '';
  const name = basename(ffmpegPath).replace(/ffmpeg/i, 'ffprobe');
  const probe = name === basename(ffmpegPath) ? 'ffprobe' : name;
  return ffmpegPath.includes('/') ? join(dirname(ffmpegPath), probe) : probe;
}

/** The relevant encoder names in `ffmpeg -encoders` output (lines " A....D name  description"). */
export function parseEncoders(text: string): Set<RelevantEncoder> {
  const found = new Set<RelevantEncoder>();
  const wanted = new Set<string>(RELEVANT_ENCODERS);
  for (const line of text.split('\n')) {
    const m = /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line);
    if (m?.[1] && wanted.has(m[1])) found.add(m[1] as RelevantEncoder);
  }
  return found;
}

/** The AMR-NB encoder of this build, if any. */
export function amrEncoder(info: FfmpegInfo): RelevantEncoder | undefined {
  if (info.encoders.has('libopencore_amrnb')) return 'libopencore_amrnb';
  if (info.encoders.has('libvo_amrnbenc')) return 'libvo_amrnbenc';
  return undefined;
}

/** The MP3 encoder of this build, if any. */
export function mp3Encoder(info: FfmpegInfo): RelevantEncoder | undefined {
  if (info.encoders.has('libmp3lame')) return 'libmp3lame';
  if (info.encoders.has('libshine')) return 'libshine';
  return undefined;
}

export interface DetectOptions {
  logger?: Logger;
  /** metrics.content.ffmpegAvailable (1 / 0). */
  gauge?: { set(value: number): void };
  timeoutMs?: number;
}

/**
 * Run `ffmpeg -hide_banner -version`, `-encoders` and `ffprobe -version`; log one line with what was found.
 * Never throws: a missing or broken ffmpeg is `available: false` with the reason.
 */
export async function detectFfmpeg(ffmpegPath: string, opts: DetectOptions = {}): Promise<FfmpegInfo> {
  const info = await detect(ffmpegPath, opts.timeoutMs ?? 10_000);
  opts.gauge?.set(info.available ? 1 : 0);
  if (info.available) {
    opts.logger?.info(
      { ffmpeg: info.path, ffprobe: info.probePath, version: info.version, encoders: [...info.encoders] },
      `ffmpeg ${info.version ?? '?'}: encoders ${[...info.encoders].join(', ') || 'none of the relevant'}`,
    );
  } else {
    opts.logger?.warn({ ffmpeg: info.path, reason: info.reason }, 'ffmpeg not available: audio and video that do not fit are removed');
  }
  return info;
}

async function detect(path: string, timeoutMs: number): Promise<FfmpegInfo> {
  const probePath = probePathFor(path);
  const none = (reason: string): FfmpegInfo => ({ available: false, path, probePath, encoders: new Set(), reason });
  if (path === '') return none('content.ffmpegPath is empty');
  const version = await runProcess(path, ['-hide_banner', '-version'], { timeoutMs });
  if (version.code !== 0) return none(`${path} -version: ${version.timedOut ? 'timed out' : version.stderr.trim().slice(-200)}`);
  const encoders = await runProcess(path, ['-hide_banner', '-encoders'], { timeoutMs });
  if (encoders.code !== 0) return none(`${path} -encoders failed`);
  const probe = await runProcess(probePath, ['-hide_banner', '-version'], { timeoutMs });
  if (probe.code !== 0) return none(`${probePath} (ffprobe) does not run: ${probe.stderr.trim().slice(-200)}`);
  const v = /ffmpeg version (\S+)/.exec(version.stdout.toString('utf8'));
  return {
    available: true,
    path,
    probePath,
    ...(v?.[1] ? { version: v[1] } : {}),
    encoders: parseEncoders(encoders.stdout.toString('utf8')),
  };
}
