// Quiet-hours arithmetic (src/core/quiet-hours.ts): whether an instant is quiet in a zone's local time and
// the next allowed instant, exactly, across midnight, across both daylight saving changes of
// America/New_York in 2026 (March 8: 02:00 EST -> 03:00 EDT; November 1: 02:00 EDT -> 01:00 EST) and
// Australia/Sydney's (October 4: 02:00 AEST -> 03:00 AEDT), with an end inside the spring gap and inside the
// autumn repeat, and over several zones (quiet while quiet in any). Expected instants are written by hand in
// UTC from the zones' published offsets, not computed by the code under test.
import t from 'tap';
import { isQuiet, isTimeZone, minutesOf, nextAllowed, QUIET_SEARCH_LIMIT_MS, quietEnd } from '../../src/core/quiet-hours.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const NIGHT = { start: '21:00', end: '08:00' };
const NY = 'America/New_York';
const LA = 'America/Los_Angeles';

t.test('HH:MM and zone names', async (t) => {
  t.equal(minutesOf('00:00'), 0);
  t.equal(minutesOf('23:59'), 23 * 60 + 59);
  for (const bad of ['24:00', '7:00', '07:60', '', '07:00:00']) t.throws(() => minutesOf(bad), RangeError, bad);
  t.ok(isTimeZone('America/New_York'));
  t.ok(isTimeZone('UTC'));
  t.notOk(isTimeZone('Mars/Olympus_Mons'));
});

t.test('across midnight (21:00-08:00, New York in June: EDT, UTC-4)', async (t) => {
  t.notOk(isQuiet(at('2026-06-16T00:59:00Z'), NY, NIGHT), '20:59 local: not quiet');
  t.ok(isQuiet(at('2026-06-16T01:00:00Z'), NY, NIGHT), '21:00 local: quiet');
  t.equal(iso(nextAllowed(at('2026-06-16T03:30:00Z'), [NY], NIGHT)), '2026-06-16T12:00:00.000Z', '23:30 -> 08:00 the next day');
  t.equal(iso(nextAllowed(at('2026-06-16T06:00:00Z'), [NY], NIGHT)), '2026-06-16T12:00:00.000Z', '02:00 -> 08:00 the same day');
  t.equal(iso(nextAllowed(at('2026-06-16T11:59:59Z'), [NY], NIGHT)), '2026-06-16T12:00:00.000Z', '07:59:59 -> 08:00');
  t.equal(iso(nextAllowed(at('2026-06-16T12:00:00Z'), [NY], NIGHT)), '2026-06-16T12:00:00.000Z', '08:00: allowed now');
  t.equal(iso(nextAllowed(at('2026-06-16T16:00:00Z'), [NY], NIGHT)), '2026-06-16T16:00:00.000Z', 'noon: allowed now');
});

t.test('a window within one day (12:00-14:00 UTC)', async (t) => {
  const lunch = { start: '12:00', end: '14:00' };
  t.equal(iso(nextAllowed(at('2026-01-05T12:30:00Z'), ['UTC'], lunch)), '2026-01-05T14:00:00.000Z');
  t.equal(iso(nextAllowed(at('2026-01-05T11:59:00Z'), ['UTC'], lunch)), '2026-01-05T11:59:00.000Z');
  t.equal(iso(nextAllowed(at('2026-01-05T14:00:00Z'), ['UTC'], lunch)), '2026-01-05T14:00:00.000Z');
});

t.test('daylight saving starts (New York, 2026-03-08): the night is an hour shorter', async (t) => {
  // 22:00 EST on March 7 (UTC-5); 08:00 on March 8 is EDT (UTC-4): 12:00Z, not 13:00Z.
  t.equal(iso(nextAllowed(at('2026-03-08T03:00:00Z'), [NY], NIGHT)), '2026-03-08T12:00:00.000Z');
  // 01:30 EST, before the jump.
  t.equal(iso(nextAllowed(at('2026-03-08T06:30:00Z'), [NY], NIGHT)), '2026-03-08T12:00:00.000Z');
  // An end inside the gap (02:30 does not exist that day): the jump itself, 03:00 EDT = 07:00Z.
  const toHalfPastTwo = { start: '22:00', end: '02:30' };
  t.equal(iso(nextAllowed(at('2026-03-08T06:00:00Z'), [NY], toHalfPastTwo)), '2026-03-08T07:00:00.000Z');
  t.equal(iso(nextAllowed(at('2026-03-08T06:59:59Z'), [NY], toHalfPastTwo)), '2026-03-08T07:00:00.000Z');
});

t.test('daylight saving ends (New York, 2026-11-01): the night is an hour longer', async (t) => {
  // 23:00 EDT on October 31 (UTC-4); 08:00 on November 1 is EST (UTC-5): 13:00Z.
  t.equal(iso(nextAllowed(at('2026-11-01T03:00:00Z'), [NY], NIGHT)), '2026-11-01T13:00:00.000Z');
  // An end inside the repeated hour: its first occurrence (01:30 EDT = 05:30Z) ...
  const toHalfPastOne = { start: '22:00', end: '01:30' };
  t.equal(iso(nextAllowed(at('2026-11-01T04:30:00Z'), [NY], toHalfPastOne)), '2026-11-01T05:30:00.000Z');
  // ... and in the repeat (01:10 EST = 06:10Z) the wall clock is before 01:30 again: quiet until 01:30 EST.
  t.ok(isQuiet(at('2026-11-01T06:10:00Z'), NY, toHalfPastOne));
  t.equal(iso(nextAllowed(at('2026-11-01T06:10:00Z'), [NY], toHalfPastOne)), '2026-11-01T06:30:00.000Z');
});

t.test('southern hemisphere (Sydney, 2026-10-04: AEST UTC+10 -> AEDT UTC+11)', async (t) => {
  // 22:00 AEST on October 3 = 12:00Z; 08:00 AEDT on October 4 = 21:00Z on October 3.
  t.equal(iso(nextAllowed(at('2026-10-03T12:00:00Z'), ['Australia/Sydney'], NIGHT)), '2026-10-03T21:00:00.000Z');
  // London in winter (UTC+0) and Paris (UTC+1) for contrast.
  t.equal(iso(nextAllowed(at('2026-01-10T23:00:00Z'), ['Europe/London'], NIGHT)), '2026-01-11T08:00:00.000Z');
  t.equal(iso(nextAllowed(at('2026-01-10T23:00:00Z'), ['Europe/Paris'], NIGHT)), '2026-01-11T07:00:00.000Z');
});

t.test('several zones: quiet while quiet in any (the conservative reading)', async (t) => {
  // 07:30 in New York, 04:30 in Los Angeles: allowed only once both are past 08:00 (LA's: 15:00Z).
  t.equal(iso(nextAllowed(at('2026-06-16T11:30:00Z'), [NY, LA], NIGHT)), '2026-06-16T15:00:00.000Z');
  t.equal(iso(nextAllowed(at('2026-06-16T11:30:00Z'), [LA, NY], NIGHT)), '2026-06-16T15:00:00.000Z', 'order does not matter');
  // 21:30 in New York (quiet), 18:30 in Los Angeles (not): New York's end, then Los Angeles' night is on: 15:00Z.
  t.equal(iso(nextAllowed(at('2026-06-17T01:30:00Z'), [NY, LA], NIGHT)), '2026-06-17T15:00:00.000Z');
  // 13:00 in New York, 10:00 in Los Angeles: allowed now.
  t.equal(iso(nextAllowed(at('2026-06-16T17:00:00Z'), [NY, LA], NIGHT)), '2026-06-16T17:00:00.000Z');
});

t.test('zones whose windows together cover the day: the search stops at its limit', async (t) => {
  const start = at('2026-06-16T12:00:00Z');
  const long = { start: '12:00', end: '02:00' }; // 14 hours
  const r = nextAllowed(start, ['Pacific/Honolulu', 'Asia/Tokyo', 'Europe/London'], long);
  t.equal(r, start + QUIET_SEARCH_LIMIT_MS);
});

t.test('quietEnd of an instant that is not quiet is that instant', async (t) => {
  const noon = at('2026-06-16T16:00:00Z');
  t.equal(quietEnd(noon, NY, NIGHT), noon);
});
