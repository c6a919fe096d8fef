/**
 * Poll `f` (sync or async) every 20 ms until it gives a truthy value, and return that value; throws
 * "timed out waiting for <what>" after `ms`. For end-to-end tests whose effects arrive asynchronously.
 */
export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
