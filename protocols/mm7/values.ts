/**
 * Simple-type values of the MM7 schemas: xs:boolean, xs:dateTime, xs:duration, the enumerations. Parsing is
 * liberal where senders are known to drift (case of enums and booleans, dateTime without zone), strict where
 * a value would otherwise be guessed (a date that is neither a dateTime nor a duration is BAD_VALUE).
 */
import { Mm7Error } from './errors.js';
import type {
  Mm7AbsoluteDate,
  Mm7ChargedParty,
  Mm7DateValue,
  Mm7DeliveryStatus,
  Mm7MessageClass,
  Mm7Priority,
  Mm7ReadStatus,
  Mm7RelativeDate,
} from './model.js';

/** Enumerations in the schemas' capitalisation; input is matched case-insensitively against them. */
export const MESSAGE_CLASSES = ['Personal', 'Informational', 'Advertisement', 'Auto'] as const satisfies readonly Mm7MessageClass[];
export const PRIORITIES = ['Low', 'Normal', 'High'] as const satisfies readonly Mm7Priority[];
export const CHARGED_PARTIES = ['Sender', 'Recipient', 'Both', 'Neither', 'ThirdParty'] as const satisfies readonly Mm7ChargedParty[];
export const ADDRESS_CODINGS = ['encrypted', 'obfuscated'] as const;
export const DELIVERY_STATUSES = [
  'Expired',
  'Retrieved',
  'Rejected',
  'Deferred',
  'Unrecognised',
  'Indeterminate',
  'Forwarded',
  'Unreachable',
  'DeliveryConditionNotMet',
] as const satisfies readonly Mm7DeliveryStatus[];
export const READ_STATUSES = ['Indeterminate', 'Read', 'Deleted'] as const satisfies readonly Mm7ReadStatus[];

/** xs:boolean plus case variants (`True`, `FALSE`) seen from VASPs. */
export function parseBoolean(name: string, text: string): boolean {
  switch (text.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new Mm7Error('BAD_VALUE', `${name} is not a boolean (true/false/1/0)`);
  }
}

/** A closed enumeration, matched case-insensitively and returned in the table's spelling. */
export function parseEnum<T extends string>(name: string, text: string, values: readonly T[]): T {
  const wanted = text.trim().toLowerCase();
  const hit = values.find((v) => v.toLowerCase() === wanted);
  if (hit === undefined) throw new Mm7Error('BAD_VALUE', `${name} is not one of ${values.join('/')}`);
  return hit;
}

/** An open enumeration: known values normalised to the table's spelling, others kept as received. */
export function normaliseToken<T extends string>(text: string, values: readonly T[]): T | (string & {}) {
  const trimmed = text.trim();
  const wanted = trimmed.toLowerCase();
  return values.find((v) => v.toLowerCase() === wanted) ?? trimmed;
}

export function parseUnsigned(name: string, text: string): number {
  const t = text.trim();
  if (!/^\+?[0-9]{1,15}$/.test(t)) throw new Mm7Error('BAD_VALUE', `${name} is not a non-negative integer`);
  return Number(t);
}

// xs:dateTime; the zone is optional (mmsgw omits it), 'T' may be lower-case or a space (seen from PHP VASPs).
const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;
// xs:duration without sign: PnYnMnDTnHnMnS.
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

function epochOf(m: RegExpExecArray): number | undefined {
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  const frac = m[7] ? Math.round(Number('0' + m[7]) * 1000) : 0;
  if (month < 1 || month > 12 || day < 1 || minute > 59 || second > 59) return undefined;
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || frac !== 0))) return undefined;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > dim) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, frac);
  if (year >= 0 && year < 100) ms = new Date(ms).setUTCFullYear(year); // Date.UTC maps 0-99 to 1900-1999
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59) return undefined;
    ms -= sign * (zh * 60 + zm) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

/** xs:dateTime. Shape is enforced (BAD_VALUE otherwise); epochMs is set when the date exists. */
export function parseAbsoluteDate(name: string, text: string): Mm7AbsoluteDate {
  const t = text.trim();
  const m = DATE_TIME.exec(t);
  if (!m) throw new Mm7Error('BAD_VALUE', `${name} is not an xs:dateTime`);
  const epochMs = epochOf(m);
  if (epochMs === undefined) throw new Mm7Error('BAD_VALUE', `${name} is not a real date and time`);
  return { text: t, epochMs };
}

/** xs:duration -> seconds (Y = 365 d, M = 30 d), or undefined when `text` is not a duration. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map((v) => (v === undefined ? 0 : Number(v)));
  const s = m[6] === undefined ? 0 : Number(m[6]);
  return (((y * 365 + mo * 30 + d) * 24 + h) * 60 + mi) * 60 + s;
}

/** ExpiryDate / EarliestDeliveryTime / ReplyDeadline: xs:dateTime or xs:duration (the schema's union). */
export function parseDateValue(name: string, text: string): Mm7DateValue {
  const t = text.trim();
  if (t.startsWith('P')) {
    const relativeSeconds = durationSeconds(t);
    if (relativeSeconds === undefined) throw new Mm7Error('BAD_VALUE', `${name} is not an xs:duration`);
    const rel: Mm7RelativeDate = { text: t, relativeSeconds };
    return rel;
  }
  return parseAbsoluteDate(name, t);
}

export function isRelative(d: Mm7DateValue): d is Mm7RelativeDate {
  return 'relativeSeconds' in d;
}
