/**
 * Quiet hours in a recipient's local time (issue 24): whether an instant falls in a daily window such as
 * 21:00-08:00 in a time zone, and the first instant after which it does not. Local time comes from
 * Intl.DateTimeFormat (the ICU time zone data Node ships), so daylight saving time is the zone's own: no
 * offset tables of ours. A window is [start, end) in local wall-clock minutes; start > end crosses midnight.
 *
 * Daylight saving edges, by the wall clock:
 * - an end in the spring-forward gap (02:30 on a day that jumps 02:00 -> 03:00) is the first instant whose
 *   local time is past it: the jump itself (03:00);
 * - an end in the fall-back repeat (01:30 on a day that goes 01:59 -> 01:00) is its first occurrence; the
 *   repeated hour before the end is quiet again by the wall clock (a job due then is held once more).
 */

/** A daily window in local time, `HH:MM` each; start after end crosses midnight (21:00-08:00). */
export interface QuietWindow {
  start: string;
  end: string;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** How far ahead a quiet time is searched: beyond it (zones whose windows together cover every hour) the answer is this. */
export const QUIET_SEARCH_LIMIT_MS = 8 * DAY;

/** Minutes after midnight of `HH:MM` (00:00-23:59); throws on anything else. */
export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`not a time of day HH:MM: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Whether `zone` is a time zone Intl knows (IANA name, e.g. America/New_York, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock in `zone` at instant `at`. */
export function wallClock(at: number, zone: string): Wall {
  const w: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(at)) if (p.type !== 'literal') w[p.type] = Number(p.value);
  return { year: w.year!, month: w.month!, day: w.day!, hour: w.hour!, minute: w.minute!, second: w.second! };
}

/** Local minus UTC at `at`, in ms (whole seconds). */
function offsetAt(at: number, zone: string): number {
  const w = wallClock(at, zone);
  const s = Math.floor(at / SECOND) * SECOND;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - s;
}

/** The wall clock as a number that orders like it (ms as if the zone were UTC). */
function wallValue(at: number, zone: string): number {
  const w = wallClock(at, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/**
 * The first instant after `after` whose local wall clock in `zone` is `target` (a wall value, see wallValue),
 * or, when that wall time does not exist that day (a spring-forward gap), the first instant past it.
 */
function instantOfWall(target: number, zone: string, after: number): number {
  // The zone's offsets a day either side cover any one transition; each offset gives a candidate instant.
  const offsets = new Set([offsetAt(target - DAY, zone), offsetAt(target, zone), offsetAt(target + DAY, zone)]);
  const exact = [...offsets]
    .map((o) => target - o)
    .filter((c) => c > after && wallValue(c, zone) === target)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // A gap: the wall clock jumps over `target`. Search the first instant (to the second) whose wall clock is
  // past it, between the candidates (the wall clock only moves forward across a gap).
  let lo = Math.min(...[...offsets].map((o) => target - o)) - DAY;
  let hi = Math.max(...[...offsets].map((o) => target - o)) + DAY;
  lo = Math.max(lo, after);
  while (hi - lo > SECOND) {
    const mid = Math.floor((lo + hi) / 2 / SECOND) * SECOND;
    if (wallValue(mid, zone) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Whether `at` falls in the window, in `zone`'s local time. */
export function isQuiet(at: number, zone: string, window: QuietWindow): boolean {
  const w = wallClock(at, zone);
  const m = w.hour * 60 + w.minute;
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/** When the quiet time `at` is in ends in `zone` (`at` itself when it is not quiet there). */
export function quietEnd(at: number, zone: string, window: QuietWindow): number {
  if (!isQuiet(at, zone, window)) return at;
  const w = wallClock(at, zone);
  const m = w.hour * 60 + w.minute;
  const end = minutesOf(window.end);
  // Crossing midnight and before it (22:30 in 21:00-08:00): the end is tomorrow's; otherwise today's.
  const nextDay = m >= end;
  const target = Date.UTC(w.year, w.month - 1, w.day + (nextDay ? 1 : 0), Math.floor(end / 60), end % 60, 0);
  return instantOfWall(target, zone, at);
}

/**
 * The first instant from `at` on that is quiet in none of `zones`: `at` when none is quiet now. Several
 * zones (a number whose region spans them) are the conservative reading: quiet while it is quiet in any.
 * Zones whose windows together leave no time free within QUIET_SEARCH_LIMIT_MS give that limit's end.
 */
export function nextAllowed(at: number, zones: readonly string[], window: QuietWindow): number {
  let t = at;
  for (;;) {
    let moved = false;
    for (const zone of zones) {
      const end = quietEnd(t, zone, window);
      if (end > t) {
        t = end;
        moved = true;
      }
    }
    if (!moved) return t;
    if (t - at > QUIET_SEARCH_LIMIT_MS) return at + QUIET_SEARCH_LIMIT_MS;
  }
}

/** `HH:MM` of the wall clock at `at` in `zone`, for history lines. */
export function localTime(at: number, zone: string): string {
  const w = wallClock(at, zone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}
