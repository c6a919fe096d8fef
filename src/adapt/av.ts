// Audio and video made to fit a handset with ffmpeg (issue 25): probe, choose the output (src/adapt/av-choice.ts),
// encode at the bitrate the byte budget allows over the duration, and once more lower when the result is over.
// Each part in its own private temporary directory, removed after; every run under a deadline and the
// process-wide limit of one ffmpeg per core.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type AvPlan, type AvProbe, PLAYABLE_VIDEO, planAudio, planVideo } from './av-choice.js';
import { INPUT_GUARD, probeFile } from './av-probe.js';
import { detectFfmpeg, type FfmpegInfo } from './ffmpeg.js';
import { type Limiter, runProcess } from './process.js';
import { AdaptError, type AvAdapter, type AvTarget, type TranscodedMedia } from './types.js';

export interface FfmpegAvOptions {
  /** One ffmpeg (or ffprobe) run must end within this (content.ffmpegTimeoutMs); killed after. */
  timeoutMs: number;
  logger?: Logger;
  /** Default: the process-wide limiter (os.availableParallelism() runs at once). */
  limiter?: Limiter;
  /** Where the private temporary directories are made (default os.tmpdir()). */
  tmpRoot?: string;
  /** Counts ffmpeg encodes (tests: the retry happens at most once). */
  onEncode?: (plan: AvPlan) => void;
}

/** The first attempt aims this far under the budget (container sizes are estimates). */
const FIRST_AIM = 0.92;

export class FfmpegAvAdapter implements AvAdapter {
  readonly available: boolean;

  constructor(
    readonly info: FfmpegInfo,
    private readonly opts: FfmpegAvOptions,
  ) {
    this.available = info.available;
  }

  /** Detect ffmpeg at `content.ffmpegPath` (logged in one line, the gauge set) and make the adapter. */
  static async create(
    content: { ffmpegPath: string; ffmpegTimeoutMs: number },
    opts: { logger?: Logger; gauge?: { set(value: number): void } } = {},
  ): Promise<FfmpegAvAdapter> {
    const info = await detectFfmpeg(content.ffmpegPath, opts);
    return new FfmpegAvAdapter(info, { timeoutMs: content.ffmpegTimeoutMs, ...(opts.logger ? { logger: opts.logger } : {}) });
  }

  /**
   * `unchanged` when the part is of a type the handset takes, within maxBytes, and (video) within the frame
   * bound in a codec handsets play. Without ffmpeg a part that fits by type and bytes is `unchanged` (its frame
   * cannot be checked); any other answers AdaptError no-tool.
   */
  async adapt(bytes: Buffer, contentType: string, target: AvTarget): Promise<TranscodedMedia | 'unchanged'> {
    const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const fits = bytes.length <= target.maxBytes && target.takes(type);
    if (!this.available) {
      if (fits) return 'unchanged';
      throw new AdaptError('no-tool', `ffmpeg is not available (${this.info.reason ?? 'not found'})`);
    }
    if (!type.startsWith('audio/') && !type.startsWith('video/')) {
      throw new AdaptError('undecodable', `${type || 'no type'} is not audio or video`);
    }
    if (fits && type.startsWith('audio/')) return 'unchanged';
    const dir = await mkdtemp(join(this.opts.tmpRoot ?? tmpdir(), 'mmsc-av-')).catch((err: Error) => {
      throw new AdaptError('no-tool', `no temporary directory for ffmpeg: ${err.message}`);
    });
    try {
      // No extension: ffmpeg decides the format from the bytes (within INPUT_GUARD's demuxers).
      const input = join(dir, 'in');
      await writeFile(input, bytes, { mode: 0o600 });
      const probe = await probeFile(this.info, input, this.opts.timeoutMs, this.opts.limiter);
      const asVideo = type.startsWith('video/') && probe.video !== undefined;
      if (fits && asVideo && this.playable(probe, target)) return 'unchanged';
      if (fits && !asVideo) return 'unchanged';
      return await this.encode(dir, input, type, probe, asVideo, bytes.length, target);
    } catch (err) {
      // A file-system failure (disk full) is still an AdaptError: the planner removes the part and goes on.
      if (err instanceof AdaptError) throw err;
      throw new AdaptError('no-tool', `audio/video adaptation failed: ${(err as Error).message}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private playable(probe: AvProbe, target: AvTarget): boolean {
    const v = probe.video;
    return v !== undefined && PLAYABLE_VIDEO.has(v.codec) && v.width <= target.maxWidth && v.height <= target.maxHeight;
  }

  private async encode(
    dir: string,
    input: string,
    type: string,
    probe: AvProbe,
    asVideo: boolean,
    inputBytes: number,
    target: AvTarget,
  ): Promise<TranscodedMedia> {
    let budget = Math.floor(target.maxBytes * FIRST_AIM);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const plan = asVideo ? planVideo(probe, target, this.info, budget) : planAudio(probe, type, target, this.info, budget);
      const output = join(dir, `out-${attempt}`);
      await this.run(input, output, plan, target.maxBytes, probe.duration);
      const size = await stat(output).then(
        (s) => s.size,
        () => 0,
      );
      if (size > 0 && size <= target.maxBytes) {
        const out = await readFile(output);
        const note = `${describe(type, probe, asVideo)} ${inputBytes} B -> ${plan.note}, ${size} B${attempt > 1 ? ' (second try)' : ''}`;
        this.opts.logger?.debug({ note, attempt }, 'av adapted');
        return {
          bytes: out,
          contentType: plan.contentType,
          ...(plan.width !== undefined ? { width: plan.width, height: plan.height as number } : {}),
          note,
        };
      }
      if (size === 0) throw new AdaptError('undecodable', 'ffmpeg wrote nothing');
      // Over: aim lower by how much this one overshot, with a margin.
      budget = Math.floor(budget * (target.maxBytes / size) * 0.85);
    }
    throw new AdaptError('cannot-fit', `${type} does not fit ${target.maxBytes} bytes after two tries`);
  }

  private async run(input: string, output: string, plan: AvPlan, maxBytes: number, duration: number): Promise<void> {
    this.opts.onEncode?.(plan);
    // -fs stops a runaway output on disk (a result over maxBytes is tried again or refused anyway); -t an input
    // that runs longer than its header said.
    const args = [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      ...INPUT_GUARD,
      '-i',
      input,
      ...plan.args,
      '-fs',
      String(maxBytes * 2),
      '-t',
      (duration * 1.05 + 1).toFixed(2),
      '-y',
      output,
    ];
    const r = await runProcess(this.info.path, args, {
      timeoutMs: this.opts.timeoutMs,
      ...(this.opts.limiter ? { limiter: this.opts.limiter } : {}),
    });
    if (r.timedOut) throw new AdaptError('timeout', `ffmpeg did not end within ${this.opts.timeoutMs} ms`);
    if (r.code !== 0) {
      throw new AdaptError('undecodable', `ffmpeg exit ${r.code}: ${r.stderr.trim().slice(-300)}`);
    }
  }
}

/** The input as the note names it: "video/mp4 h264 960x540", "audio/mpeg mp3". */
function describe(type: string, probe: AvProbe, asVideo: boolean): string {
  const v = probe.video;
  if (asVideo && v) return `${type} ${v.codec} ${v.width}x${v.height}`;
  return `${type} ${probe.audio?.codec ?? ''}`.trim();
}
