import {
  type CountryCode,
  isSupportedCountry,
  ParseError,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';

/**
 * Why a text is not a phone number a message can go to: libphonenumber-js's own words (the max metadata,
 * Google's per-country number plans), plus INVALID_FOR_REGION for a number of the right length that no
 * range of its country uses.
 */
export const PHONE_NUMBER_REASONS = [
  'INVALID_COUNTRY',
  'TOO_SHORT',
  'TOO_LONG',
  'NOT_A_NUMBER',
  'INVALID_LENGTH',
  'INVALID_FOR_REGION',
] as const;
export type PhoneNumberReason = (typeof PHONE_NUMBER_REASONS)[number];

export type PhoneNumberResult = { ok: true; e164: string } | { ok: false; reason: PhoneNumberReason; message: string };

/** Longest text looked at: an E.164 number is at most 15 digits; the rest is spacing and punctuation. */
const MAX_INPUT = 64;

/** Whether `region` is an ISO 3166-1 alpha-2 code the metadata has a numbering plan for. */
export function isKnownRegion(region: string): boolean {
  return isSupportedCountry(region);
}

/**
 * A recipient's number as a sender writes it -> +E.164, validated against its country's numbering plan
 * (pure: no I/O). A number without + (or an international prefix) is read in `defaultRegion`; without one,
 * the + is required. Spaces, dots, dashes and brackets are allowed; text around the number, letters, an
 * extension are not (a message goes to a number, not to a sentence or a desk).
 */
export function parsePhoneNumber(text: string, defaultRegion?: string): PhoneNumberResult {
  const s = text.trim();
  const fail = (reason: PhoneNumberReason, message: string): PhoneNumberResult => ({ ok: false, reason, message });
  if (s.length > MAX_INPUT) return fail('TOO_LONG', `longer than ${MAX_INPUT} characters`);
  const region = defaultRegion !== undefined && isSupportedCountry(defaultRegion) ? (defaultRegion as CountryCode) : undefined;
  const international = s.startsWith('+');
  if (!international && region === undefined && /^[\d\s().-]+$/.test(s))
    return fail('INVALID_COUNTRY', 'no country: write the number in +E.164 form (e.g. +14155550100)');
  let parsed: ReturnType<typeof parsePhoneNumberWithError>;
  try {
    // extract: false: the whole text must be the number (by default the library finds one inside any text).
    parsed = parsePhoneNumberWithError(s, region === undefined ? { extract: false } : { defaultCountry: region, extract: false });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    const reason = (PHONE_NUMBER_REASONS as readonly string[]).includes(err.message) ? (err.message as PhoneNumberReason) : 'NOT_A_NUMBER';
    return fail(reason, WHY[reason]);
  }
  if (parsed.ext !== undefined) return fail('NOT_A_NUMBER', 'a number with an extension cannot receive messages');
  const length = validatePhoneNumberLength(s, region === undefined ? undefined : region);
  if (length !== undefined) return fail(length, WHY[length]);
  if (!parsed.isValid())
    return fail('INVALID_FOR_REGION', `not a number in use in ${parsed.country ?? `country code +${parsed.countryCallingCode}`}`);
  return { ok: true, e164: parsed.number };
}

const WHY: Record<PhoneNumberReason, string> = {
  INVALID_COUNTRY: 'no such country calling code',
  TOO_SHORT: 'too short for its country',
  TOO_LONG: 'too long for its country',
  NOT_A_NUMBER: 'not a phone number',
  INVALID_LENGTH: 'not a length any number of its country has',
  INVALID_FOR_REGION: 'not a number in use in its country',
};
