/**
 * Images adapted in a child process of the gateway's own (src/adapt/image-child.ts), not in the gateway.
 *
 * Why: libvips decodes what senders send, and a decoder crash on a hostile picture would otherwise end the
 * gateway with every connection it holds; here it ends the image process, which is started again. A decode
 * that runs past its deadline is ended by killing the process, which sharp's own timeout cannot do to a
 * stuck native call. And the process that serves MM1 does no libvips work: with it, the retrieval of a
 * 100 KB message took ~300 µs of CPU instead of ~175 in about half of the bench runs (bench/mm1.ts; the
 * collector went into a mark-compact every ~100 ms; docs/benchmarks.md, "Fourth pass"), and libvips's
 * work shared libuv's thread pool with the gateway's file and DNS work.
 *
 * One process takes every request, several at once (sharp is asynchronous, as it was in the gateway). When it
 * ends with requests in flight, each is sent once more to a new process: a second end on the same request
 * makes that image undecodable, so one hostile picture cannot end the process again and again.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';
import type { SharpImageOptions } from './image.js';
import { type ImageAdaptReport, type ImageAnswer, type ImageRequest, toWire } from './image-wire.js';
import { AdaptError, type ImageAdapter, type ImageTarget, type TranscodedMedia } from './types.js';

export interface ImageProcessOptions extends SharpImageOptions {
  /** Longest one request may take before the process is killed (default: 3x sharp's timeout + 5 s). */
  hardTimeoutMs?: number;
  log?: Logger;
  /** Counts each end the gateway did not ask for: 'overdue' (killed for a request past its deadline), else 'crash'. */
  ends?: { inc(labels: { cause: 'crash' | 'overdue' }): void };
}

/** One part's answer: the media (or 'unchanged') and what it cost. */
type Adapted = { media: TranscodedMedia | 'unchanged'; report: ImageAdaptReport };

interface Job {
  request: ImageRequest;
  /** Processes that ended while this request was in them. */
  ends: number;
  /** The process it was last sent to. */
  child?: ChildProcess;
  timer: NodeJS.Timeout;
  resolve(v: Adapted): void;
  reject(e: Error): void;
}

// The child in the same form as this module: .ts under the tests' loader, .js in dist.
const CHILD = new URL(`./image-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Node's flags that load code (a loader, a preload) or say how: what the child needs to run as this process does. */
const KEPT = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);
const KEPT_ALONE = /^--(enable-source-maps|no-warnings|experimental-[a-z-]+|no-experimental-[a-z-]+)$/;

/**
 * The flags of this process the image process is started with: those that load code, and no others. Not
 * `-e` (fork's default would run the eval'd script again in the child: a chain of processes), not
 * `--inspect` (the child would fight the gateway for its port), not the gateway's heap limits.
 */
export function childExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (KEPT.has(name)) {
      out.push(a);
      if (eq < 0 && i + 1 < argv.length) out.push(argv[++i]!);
    } else if (KEPT_ALONE.test(a)) out.push(a);
  }
  return out;
}

export class ImageProcess implements ImageAdapter {
  private child: ChildProcess | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private closed = false;
  private readonly hardTimeoutMs: number;
  /** Processes killed for an overdue request (their end is not a crash). */
  private readonly killed = new WeakSet<ChildProcess>();
  /** Processes started so far (tests; a log line each). */
  started = 0;

  constructor(private readonly options: ImageProcessOptions = {}) {
    this.hardTimeoutMs = options.hardTimeoutMs ?? ((options.timeoutSeconds ?? 20) * 3 + 5) * 1000;
  }

  async adapt(bytes: Buffer, contentType: string, target: ImageTarget): Promise<TranscodedMedia | 'unchanged'> {
    return (await this.adaptWithReport(bytes, contentType, target)).media;
  }

  adaptWithReport(bytes: Buffer, contentType: string, target: ImageTarget): Promise<Adapted> {
    if (this.closed) return Promise.reject(new Error('the image process is closed'));
    const request: ImageRequest = { id: this.nextId++, bytes, contentType, target: toWire(target, contentType) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.overdue(request.id), this.hardTimeoutMs);
      const job: Job = { request, ends: 0, timer, resolve, reject };
      this.jobs.set(request.id, job);
      this.send(job);
    });
  }

  /** The process ended and requests refused; in-flight ones reject (call after the work that asks has stopped). */
  close(): void {
    this.closed = true;
    for (const job of this.jobs.values()) this.settle(job, new Error('the image process is closed'));
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  /** The running process's pid, if one runs (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(job: Job): void {
    const child = this.child ?? this.start();
    child.ref();
    child.channel?.ref();
    job.child = child;
    child.send(job.request);
  }

  private start(): ChildProcess {
    const { hardTimeoutMs: _h, log: _l, ends: _e, ...sharpOptions } = this.options;
    const execArgv = childExecArgv(process.execArgv);
    const child = fork(CHILD, [JSON.stringify(sharpOptions)], {
      serialization: 'advanced',
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.started++;
    this.child = child;
    child.on('message', (a: ImageAnswer) => this.answered(a));
    child.on('error', (err) => this.options.log?.error({ err }, 'image process error'));
    child.on('exit', (code, signal) => this.ended(child, code, signal));
    this.options.log?.debug({ pid: child.pid }, 'image process started');
    return child;
  }

  private answered(a: ImageAnswer): void {
    const job = this.jobs.get(a.id);
    if (!job) return;
    if (a.ok) {
      this.settle(job, undefined, { media: a.media, report: a.report });
    } else {
      this.settle(job, a.reason ? new AdaptError(a.reason, a.message) : new Error(a.message));
    }
  }

  private settle(job: Job, err?: Error, value?: Adapted): void {
    this.jobs.delete(job.request.id);
    clearTimeout(job.timer);
    if (err) job.reject(err);
    else job.resolve(value!);
    if (this.jobs.size === 0 && this.child) {
      // Idle: the process does not hold the gateway (or a test) open.
      this.child.unref();
      this.child.channel?.unref();
    }
  }

  /** A request past its hard deadline: it fails as a timeout; the process is killed, the others go again. */
  private overdue(id: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.options.log?.warn({ pid: job.child?.pid, ms: this.hardTimeoutMs }, 'image adaptation overdue; image process killed');
    this.settle(job, new AdaptError('timeout', `image: not adapted within ${this.hardTimeoutMs} ms`));
    // Requests from now on go to a new process; those in the killed one go again when it has ended.
    if (job.child) {
      this.killed.add(job.child);
      job.child.kill('SIGKILL');
    }
    if (this.child === job.child) this.child = undefined;
  }

  private ended(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    if (this.closed) return;
    this.options.ends?.inc({ cause: this.killed.has(child) ? 'overdue' : 'crash' });
    const inIt = [...this.jobs.values()].filter((job) => job.child === child);
    if (inIt.length > 0) this.options.log?.warn({ pid: child.pid, code, signal, inFlight: inIt.length }, 'image process ended');
    for (const job of inIt) {
      if (++job.ends >= 2) {
        this.settle(job, new AdaptError('undecodable', `image: the image process ended twice on it (${signal ?? `exit ${code}`})`));
      } else this.send(job);
    }
  }
}
