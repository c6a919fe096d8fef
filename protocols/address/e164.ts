// E.164 normalisation (ITU-T E.164 §6: "+" country code, at most 15 digits,
// country codes never start with 0) for numbers as users or MMS PDUs write them.
import { AddressError, describeChar } from './errors.js';

export type E164Options = {
  // Country code (1-3 digits) applied to national numbers, e.g. '44'.
  defaultCountryCode?: string;
  // Trunk prefix dropped from national numbers; default '0'. '' if none.
  nationalPrefix?: string;
  // Dialling prefix that stands for '+'; default '00'.
  internationalPrefix?: string;
};

const MAX_DIGITS = 15; // E.164 §6.1
// Gateway policy, not E.164: anything shorter is a short code, not a subscriber.
const MIN_DIGITS = 7;
const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(s: string): boolean {
  return E164.test(s);
}

export function normaliseE164(input: string, opts: E164Options = {}): string {
  const intl = opts.internationalPrefix ?? '00';
  const nat = opts.nationalPrefix ?? '0';
  const cc = opts.defaultCountryCode;
  // Bad options are a configuration bug, not bad input: RangeError.
  if (!/^\d+$/.test(intl)) throw new RangeError('internationalPrefix must be one or more digits');
  if (!/^\d*$/.test(nat)) throw new RangeError('nationalPrefix must be digits');
  if (cc !== undefined && !/^[1-9]\d{0,2}$/.test(cc)) throw new RangeError('defaultCountryCode must be 1-3 digits, not starting with 0');

  const fail = (why: string): never => {
    throw new AddressError('BAD_E164', why, input);
  };
  const shortCode = (n: number): string =>
    `phone number has ${n} digits, fewer than ${MIN_DIGITS}: it looks like a short code, which has no E.164 form`;

  // Also accept the MMS wire form (OMA-TS-MMS_ENC §8 "/TYPE=PLMN").
  const text = input
    .trim()
    .replace(/\/type=plmn$/i, '')
    .trim();
  if (text === '') fail('phone number is empty');
  if (/\/type=/i.test(text)) fail('only "/TYPE=PLMN" addresses are phone numbers');
  const bad = /[^0-9+\-.() ]/.exec(text);
  if (bad) fail(`phone number contains ${/[A-Za-z]/.test(bad[0]) ? 'a letter' : describeChar(bad[0])}`);
  const compact = text.replace(/[-.() ]/g, '');
  if ((compact.match(/\+/g) ?? []).length > 1) fail('phone number contains more than one "+"');
  if (compact.indexOf('+') > 0) fail('"+" may only appear at the start of a phone number');
  if (compact.replace('+', '') === '') fail('phone number has no digits');

  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith(intl)) digits = compact.slice(intl.length);
  else {
    if (compact.length < MIN_DIGITS) return fail(shortCode(compact.length));
    if (cc === undefined) return fail('national number needs a defaultCountryCode, or write it with "+"');
    if (!compact.startsWith(nat)) return fail(`national number must start with the national prefix "${nat}"`);
    digits = cc + compact.slice(nat.length);
  }
  if (digits === '') fail('phone number has no digits after the international prefix');
  if (digits.startsWith('0')) fail('country code cannot start with 0');
  if (digits.length > MAX_DIGITS) fail(`phone number has ${digits.length} digits, over the E.164 limit of ${MAX_DIGITS}`);
  if (digits.length < MIN_DIGITS) fail(shortCode(digits.length));
  return `+${digits}`;
}
