// ENUM (RFC 6116) for MMS: the domain of an E.164 number, the choice among its NAPTR records (RFC 3403) for
// the `mms` enumservice (RFC 4355), and the RFC 3402 §3.2 substitution a record's regexp applies to the
// number. Pure: what the records are comes from a DNS client elsewhere. Every input is hostile (a DNS answer
// is whatever the server, or whoever spoofs it, chose): lengths are capped and the regexp dialect is a
// subset that cannot backtrack catastrophically.

/** A NAPTR record as a resolver returns it (node:dns resolveNaptr's shape). */
export interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

/** Why a record gave no URI (for the log line; the lookup then tries the next record). */
export type EnumErrorCode = 'BAD_NUMBER' | 'BAD_REGEXP' | 'UNSAFE_REGEXP' | 'NO_MATCH' | 'TOO_LONG';

export class EnumError extends Error {
  override readonly name = 'EnumError';
  constructor(
    readonly code: EnumErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An E.164 number: "+", 1 to 15 digits, the first not 0 (ITU-T E.164 §6). */
const E164 = /^\+[1-9][0-9]{0,14}$/;
/** An apex: dot-separated DNS labels (letters, digits, hyphens), no leading or trailing dot. */
const APEX = /^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$/;

/** Longest regexp field we read (RFC 3402 puts no limit; real ENUM regexps are well under 100 characters). */
export const MAX_REGEXP_CHARS = 256;
/** Longest URI a substitution may produce (a DNS name is at most 253 characters; a mailto URI adds little). */
export const MAX_URI_CHARS = 320;
/** Quantifiers an ERE may hold (see safePattern). */
export const MAX_QUANTIFIERS = 6;
/** Longest string a regexp is applied to (an E.164 number has 16 characters with its "+"). */
const MAX_AUS_CHARS = 32;
/** Records looked at per answer: an answer with thousands of records costs no more than this many. */
export const MAX_RECORDS = 64;

/**
 * The ENUM domain of a number (RFC 6116 §2.4): its digits reversed, dot-separated, under the apex;
 * `+31612345678` under `e164.arpa` is `8.7.6.5.4.3.2.1.6.1.3.e164.arpa`. Carriers' private ENUM trees use
 * other apexes (e.g. `e164enum.net`, GSMA IR.67's Carrier ENUM).
 */
export function enumDomain(e164: string, apex = 'e164.arpa'): string {
  if (!E164.test(e164)) throw new EnumError('BAD_NUMBER', `not an E.164 number: ${JSON.stringify(e164.slice(0, 20))}`);
  const a = apex.replace(/\.$/, '');
  if (!APEX.test(a) || a.length > 200) throw new EnumError('BAD_NUMBER', `not a domain: ${JSON.stringify(apex.slice(0, 40))}`);
  return `${[...e164.slice(1)].reverse().join('.')}.${a}`;
}

/**
 * Whether a NAPTR service field names the MMS enumservice with a mailto URI (RFC 4355 §3: "E2U+mms:mailto";
 * RFC 3761's form without subtype, "E2U+mms", is still met). Enumservices are compared without regard to
 * case (RFC 6117 §3.1.1). A record may list several enumservices after "E2U" ("E2U+mms:mailto+email").
 */
export function isMmsMailto(service: string): boolean {
  const parts = service.toLowerCase().split('+');
  if (parts[0] !== 'e2u') return false;
  return parts.slice(1).some((s) => s === 'mms:mailto' || s === 'mms');
}

/**
 * The records to try, best first (RFC 3403 §4.1: lowest order, then lowest preference): terminal ("u"
 * flag, RFC 6116 §3.4.1) records of the mms enumservice. Non-terminal records (empty flags, another
 * lookup under `replacement`) are not followed: carrier ENUM answers terminal records.
 */
export function mmsRecords(records: readonly NaptrRecord[]): NaptrRecord[] {
  return records
    .slice(0, MAX_RECORDS)
    .filter((r) => r.flags.toLowerCase() === 'u' && isMmsMailto(r.service))
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
}

/**
 * Applies a NAPTR regexp field to the number (RFC 3402 §3.2):
 *
 *   subst-expr  = delim-char ere delim-char repl delim-char *flags
 *   delim-char  = any non-digit, non-flag character other than backslash
 *   repl        = *(string / backref)
 *   backref     = "\" 1POS_DIGIT
 *   flags       = "i"
 *
 * The ERE is run as a JavaScript RegExp after checks that keep it to a subset safe against hostile input:
 * no quantified groups (the nested quantifiers behind catastrophic backtracking), no back references inside
 * it, no JavaScript-only syntax (lookarounds, named groups); POSIX bracket classes ([[:digit:]]) are read.
 * An unmatched number is NO_MATCH (RFC 3402 §3.2: the rule does not apply).
 */
export function applyRegexp(regexp: string, aus: string): string {
  if (regexp.length > MAX_REGEXP_CHARS) throw new EnumError('TOO_LONG', `regexp over ${MAX_REGEXP_CHARS} characters`);
  if (aus.length > MAX_AUS_CHARS) throw new EnumError('TOO_LONG', `number over ${MAX_AUS_CHARS} characters`);
  if (regexp.length < 3) throw new EnumError('BAD_REGEXP', 'regexp too short');
  const delim = regexp[0]!;
  if (/[0-9i\\]/.test(delim)) throw new EnumError('BAD_REGEXP', `bad delimiter ${JSON.stringify(delim)}`);
  const fields = splitUnescaped(regexp.slice(1), delim);
  if (fields.length !== 3) throw new EnumError('BAD_REGEXP', 'not delim ere delim repl delim flags');
  const [ere, repl, flags] = fields as [string, string, string];
  if (flags !== '' && flags !== 'i') throw new EnumError('BAD_REGEXP', `unknown flags ${JSON.stringify(flags)}`);
  const pattern = safePattern(ere);
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags === 'i' ? 'i' : '');
  } catch (err) {
    throw new EnumError('BAD_REGEXP', `ere: ${(err as Error).message}`);
  }
  const m = re.exec(aus);
  if (!m) throw new EnumError('NO_MATCH', 'the regexp does not match the number');
  return substitute(repl, m);
}

/**
 * Splits on `delim` where it is not escaped by a backslash; the escape of the delimiter is removed, so that
 * the ERE reads the bare character with its ERE meaning (RFC 3402 says only that it must be escaped; with
 * the usual "!" delimiter the question never arises).
 */
function splitUnescaped(text: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      // An escaped delimiter is the delimiter as text; any other escape is kept for the ERE or repl.
      cur += next === delim ? delim : `\\${next}`;
      i++;
    } else if (c === delim) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const POSIX_CLASSES: Record<string, string> = {
  '[:digit:]': '0-9',
  '[:alpha:]': 'A-Za-z',
  '[:alnum:]': 'A-Za-z0-9',
  '[:upper:]': 'A-Z',
  '[:lower:]': 'a-z',
  '[:space:]': ' \\t\\r\\n\\v\\f',
  '[:xdigit:]': '0-9A-Fa-f',
  '[:punct:]': '!-/:-@\\[-`{-~',
};

/** The ERE as a JavaScript pattern, or UNSAFE_REGEXP when it leaves the safe subset. */
function safePattern(ere: string): string {
  let p = ere;
  for (const [posix, js] of Object.entries(POSIX_CLASSES)) p = p.split(posix).join(js);
  if (/\(\?/.test(p)) throw new EnumError('UNSAFE_REGEXP', 'lookaround or named group');
  if (/\\[1-9k]/.test(p)) throw new EnumError('UNSAFE_REGEXP', 'back reference inside the ere');
  // A group followed by a quantifier (")*", ")+", ")?", "){"): the shape of (a+)+ and its kin.
  if (/\)[*+?{]/.test(p)) throw new EnumError('UNSAFE_REGEXP', 'quantified group');
  // Without nesting, the work is still polynomial in the number's length with the count of quantifiers as
  // exponent (.*.*.*...$ tries every split): a few are all a real rule has (^\+(.*)$).
  const quantifiers = p.replace(/\\./g, '').match(/[*+?{]/g)?.length ?? 0;
  if (quantifiers > MAX_QUANTIFIERS) throw new EnumError('UNSAFE_REGEXP', `over ${MAX_QUANTIFIERS} quantifiers`);
  return p;
}

/** repl with \1..\9 replaced by the groups (an unset group is empty), "\\" by "\"; capped in length. */
function substitute(repl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c === '\\' && i + 1 < repl.length) {
      const next = repl[++i]!;
      out += /[1-9]/.test(next) ? (m[Number(next)] ?? '') : next;
    } else out += c;
    if (out.length > MAX_URI_CHARS) throw new EnumError('TOO_LONG', `result over ${MAX_URI_CHARS} characters`);
  }
  return out;
}

/** A DNS domain name: labels of letters, digits, hyphens (RFC 1123 §2.1), at most 253 characters. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The MMS domain a mailto URI names (RFC 4355 §3: `mailto:+31612345678@mms.mnc008.mcc204.gprs`), lowercased;
 * undefined when the URI is no mailto with a domain name after its last "@".
 */
export function mailtoDomain(uri: string): string | undefined {
  if (!/^mailto:/i.test(uri)) return undefined;
  const at = uri.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = uri
    .slice(at + 1)
    .replace(/\.$/, '')
    .toLowerCase();
  return DOMAIN.test(domain) ? domain : undefined;
}

/**
 * The MMS domain the best usable record gives the number (RFC 6116 §3.2: records tried in order until
 * one yields a URI), and why each record before it gave none; undefined domain: no record does.
 */
export function mmsDomain(records: readonly NaptrRecord[], e164: string): { domain?: string; skipped: string[] } {
  const skipped: string[] = [];
  for (const r of mmsRecords(records)) {
    try {
      const domain = mailtoDomain(applyRegexp(r.regexp, e164));
      if (domain) return { domain, skipped };
      skipped.push('not a mailto URI with a domain');
    } catch (err) {
      if (!(err instanceof EnumError)) throw err;
      skipped.push(`${err.code}: ${err.message}`);
    }
  }
  return { skipped };
}
