import type { FrequencyAnswer, FrequencyCaps } from '../core/ports.js';

export const DAY_MS = 24 * 3_600_000;
export const WEEK_MS = 7 * DAY_MS;

/**
 * The caps' verdict on the send times of one (sender, subscriber), oldest first, all within the last week:
 * undefined when one more send fits both rolling windows, else when it will (the time the window frees up:
 * the entry whose leaving brings the count under the cap, plus the window) and which cap holds it back (the
 * later of the two when both do). The Redis store's script (lua/frequency-1.lua) computes the same.
 */
export function overCaps(times: readonly number[], now: number, caps: FrequencyCaps): Exclude<FrequencyAnswer, { ok: true }> | undefined {
  let answer: Exclude<FrequencyAnswer, { ok: true }> | undefined;
  const check = (cap: 'day' | 'week', max: number | undefined, window: number): void => {
    if (max === undefined) return;
    const inWindow = times.filter((t) => t > now - window);
    if (inWindow.length < max) return;
    const until = inWindow[inWindow.length - max]! + window;
    if (!answer || until > answer.until) answer = { ok: false, until, cap };
  };
  check('day', caps.maxPerDay, DAY_MS);
  check('week', caps.maxPerWeek, WEEK_MS);
  return answer;
}
