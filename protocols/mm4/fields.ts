// Value codecs of single MM4 header fields: identifiers, dates, X-Mms-Expiry, Subject, X-Mms-Originator-System.
import { decodeEncodedWords } from '../mime/index.js';

/**
 * An X-Mms-Transaction-ID / X-Mms-Message-ID in the form to correlate on: peers write them quoted
 * (`"123@mms.example"`), bracketed (`<123@mms.example>`) or bare; all three name the same id.
 */
export function bareId(value: string): string {
  let v = value.trim();
  for (const [open, close] of [
    ['"', '"'],
    ['<', '>'],
  ] as const) {
    if (v.length >= 2 && v.startsWith(open) && v.endsWith(close)) v = v.slice(1, -1).trim();
  }
  return v;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time in UTC: `Wed, 25 Nov 2026 01:28:51 +0000`. */
export function formatDate(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) throw new RangeError('not a date');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} +0000`;
}

// RFC 5322 §3.3 date-time, with the obsolete zones (§4.3: UT, GMT, EST ...) and optional seconds/day name.
const RFC5322_DATE =
  /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?(?:\s*\(.*\))?$/;
const ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
};
// RFC 3339 §5.6 date-time (the "T" may be a space or lower-case; a missing zone is read as UTC).
const RFC3339_DATE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since the epoch of an RFC 5322 or RFC 3339 date-time, or undefined. */
export function parseDate(value: string): number | undefined {
  const v = value.trim();
  if (v.length > 100) return undefined;
  const a = RFC3339_DATE.exec(v);
  if (a) {
    const zone = a[8] === undefined || /^z$/i.test(a[8]) ? 'Z' : a[8].replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    const ms = Date.parse(`${a[1]}-${a[2]}-${a[3]}T${a[4]}:${a[5]}:${a[6]}${a[7] ?? ''}${zone}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const m = RFC5322_DATE.exec(v);
  if (!m) return undefined;
  const month = MONTHS.findIndex((x) => x.toLowerCase() === (m[2] as string).toLowerCase());
  if (month < 0) return undefined;
  let year = Number(m[3]);
  if ((m[3] as string).length <= 2) year += year < 50 ? 2000 : 1900; // RFC 5322 §4.3 obs-year
  const day = Number(m[1]);
  const [h, min, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return undefined;
  let offsetMin = 0;
  const zone = m[7];
  if (zone !== undefined && /^[+-]\d{4}$/.test(zone)) {
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  } else if (zone !== undefined) {
    offsetMin = (ZONES[zone.toUpperCase()] ?? 0) * 60; // §4.3: other military zones "SHOULD be considered equivalent to -0000"
  }
  return Date.UTC(year, month, day, h, min, s) - offsetMin * 60_000;
}

/** Subject as text: RFC 2047 encoded-words decoded (any charset TextDecoder knows). */
export function decodeSubject(value: string): string {
  return decodeEncodedWords(value);
}

/**
 * Subject for the wire: as is when printable US-ASCII, else RFC 2047 §4.1 "B" encoded-words in UTF-8, each at
 * most 75 characters (§2) and holding whole characters (§5: a multi-byte character is never split), folded
 * onto continuation lines.
 */
export function encodeSubject(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes('=?')) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    // "=?UTF-8?B?" + "?=" is 12 characters: 63 left, 45 bytes of base64 at most.
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** An X-Mms-Originator-System value read in the three forms peers write. */
export interface Mm4OriginatorSystem {
  /** Where a RES goes: the mailbox as written, or `system-user@host` for the `system=host;party=` form. */
  mailbox: string;
  host: string;
  /** The originating party of the `system=host;party=+N` form. */
  party?: string;
}

/**
 * X-Mms-Originator-System (§8.4.1.1: the address of the originator MMS Relay/Server) as `system-user@host`,
 * `PostMaster@mms.mncXXX.mccYYY.gprs`, or the non-standard `system=host;party=+N`. Undefined when none fits.
 */
export function originatorSystemOf(value: string): Mm4OriginatorSystem | undefined {
  const v = bareId(value);
  if (/^system\s*=/i.test(v)) {
    const params = new Map<string, string>();
    for (const kv of v.split(';')) {
      const eq = kv.indexOf('=');
      if (eq > 0) params.set(kv.slice(0, eq).trim().toLowerCase(), kv.slice(eq + 1).trim());
    }
    const host = params.get('system');
    if (host === undefined || !/^[A-Za-z0-9.-]+$/.test(host)) return undefined;
    const party = params.get('party');
    return party ? { mailbox: `system-user@${host}`, host, party } : { mailbox: `system-user@${host}`, host };
  }
  const at = v.lastIndexOf('@');
  if (at <= 0 || /\s/.test(v)) return undefined;
  const host = v.slice(at + 1);
  return /^[A-Za-z0-9.-]+$/.test(host) ? { mailbox: v, host } : undefined;
}
