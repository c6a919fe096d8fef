/**
 * The pause of a polling loop that another part of the process can cut short: `sleep(ms)` resolves after
 * ms, or at once when `wake()` is called (new work, or a stop).
 */
export class IdleTimer {
  private waking: (() => void) | undefined;

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
}
