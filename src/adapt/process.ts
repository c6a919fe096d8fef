// Running ffmpeg and ffprobe: a child process with a deadline (killed after), its output capped (hostile media
// can make ffmpeg print without end), and a process-wide limit of how many run at once (one per core: each run
// is given one thread, so the machine's cores are the bound).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** What one run gave: its exit code (null when killed), stdout (capped: `truncated`), the tail of stderr. */
export interface ProcessResult {
  code: number | null;
  stdout: Buffer;
  /** Set when stdout went over its cap (the rest was dropped). */
  truncated: boolean;
  /** The last `maxStderrBytes` of stderr, as text: ffmpeg's error is at its end. */
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs: number;
  /** stdout kept at most (default 256 KiB). */
  maxStdoutBytes?: number;
  /** stderr kept at most, its tail (default 8 KiB). */
  maxStderrBytes?: number;
  limiter?: Limiter;
}

/** A counting semaphore: at most `max` holders at once, the others wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('Limiter max must be a positive integer');
  }
  /** How many hold a slot now (for tests and logs). */
  get running(): number {
    return this.active;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (the count stays), or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** The process-wide limit of ffmpeg/ffprobe runs: one per core (os.availableParallelism()). */
export const ffmpegLimiter = new Limiter(availableParallelism());

/**
 * Run `file args` (no shell), under `limiter`, killed with SIGKILL after `timeoutMs`. Never rejects for the
 * child's own failure: a spawn error (ENOENT) is the `code` -1 with its message as stderr.
 */
export function runProcess(file: string, args: readonly string[], opts: RunOptions): Promise<ProcessResult> {
  const limiter = opts.limiter ?? ffmpegLimiter;
  return limiter.run(() => runNow(file, args, opts));
}

function runNow(file: string, args: readonly string[], opts: RunOptions): Promise<ProcessResult> {
  const maxOut = opts.maxStdoutBytes ?? 256 * 1024;
  const maxErr = opts.maxStderrBytes ?? 8 * 1024;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let err = Buffer.alloc(0);
    let timedOut = false;
    let settled = false;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const finish = (code: number | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stderr = spawnError ? spawnError.message : err.toString('utf8');
      resolve({ code: spawnError ? -1 : code, stdout: Buffer.concat(out), truncated, stderr, timedOut });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes + chunk.length > maxOut) {
        truncated = true;
        const room = maxOut - outBytes;
        if (room > 0) out.push(chunk.subarray(0, room));
        outBytes = maxOut;
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep the tail only: memory stays bounded however much is printed.
      err = Buffer.concat([err, chunk]);
      if (err.length > maxErr) err = err.subarray(err.length - maxErr);
    });
    child.on('error', (e) => finish(null, e));
    child.on('close', (code) => finish(code));
  });
}
