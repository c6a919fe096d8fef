/**
 * The life of a polling loop (the worker pool's, the report pump's): `start()` runs `body` once, which
 * loops while `running`; `sleep(ms)` is its pause when there is nothing to do, which `wake()` cuts short
 * (new work in this process, or a stop); `stop()` ends the loop and resolves once `body` has returned.
 */
export class PollLoop {
  private active = false;
  private loop: Promise<void> | undefined;
  private waking: (() => void) | undefined;

  constructor(private readonly body: () => Promise<void>) {}

  /** True from start() until stop(): the body's loop condition. */
  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loop = this.body();
  }

  /** Resolves after ms, or at once on wake() or stop(). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waking = done;
    });
  }

  wake(): void {
    this.waking?.();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.wake();
    await this.loop;
  }
}
