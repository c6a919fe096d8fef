import type { IncomingHttpHeaders } from 'node:http';
import type { HandsetHint } from '../adapt/capabilities.js';

/**
 * What a handset says of itself on an MM1 request: the URL of its UAProf and its User-Agent (issue 25).
 *
 * The profile header (WAP-248-UAProf §9.2.1, "x-wap-profile"; CC/PP exchange's `Profile`, common without an
 * RFC) is a list of profile references: a quoted (sometimes unquoted) absolute URL, possibly followed by
 * profile-diff references `1-<base64 MD5 digest>` naming x-wap-profile-diff headers. The first URL is the
 * handset's profile; the diffs (a handful of overridden properties) are not read.
 *
 * Everything here is bounded: the gateway's header size limit holds the whole header, and only the first
 * `MAX_ENTRIES` list entries are looked at, so a crafted header costs a few microseconds at most.
 */

/** A profile URL longer than this is not a profile URL (real ones are under 100 characters). */
export const MAX_PROFILE_URL = 1024;
/** User-Agents are kept (and matched against content.userAgents) cut to this length. */
export const MAX_USER_AGENT = 512;
/** List entries looked at for the first URL (a real header has one URL and a few diff digests). */
const MAX_ENTRIES = 16;

/** The header names of a profile reference, in the order they are believed. */
const PROFILE_HEADERS = ['x-wap-profile', 'profile'] as const;

/**
 * The first profile URL of an x-wap-profile / Profile header value (several headers of one name: their
 * values in order). Only absolute http(s) URLs count; anything else (a diff reference, a relative or
 * `file:` URL, garbage) is skipped. Undefined when there is none.
 */
export function profileUrlOf(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const joined = typeof value === 'string' ? value : value.join(',');
  const entries = splitList(joined);
  for (const entry of entries) {
    const url = unquote(entry.trim());
    if (url === undefined || url.length > MAX_PROFILE_URL) continue;
    if (!/^https?:\/\//i.test(url)) continue;
    try {
      const parsed = new URL(url);
      if (parsed.hostname === '') continue;
      return parsed.href;
    } catch {}
  }
  return undefined;
}

/** The User-Agent, trimmed, control characters removed, cut to MAX_USER_AGENT; undefined when empty. */
export function userAgentOf(value: string | readonly string[] | undefined): string | undefined {
  const raw = typeof value === 'string' ? value : value?.[0];
  if (raw === undefined) return undefined;
  const ua = raw
    .slice(0, MAX_USER_AGENT * 2)
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .trim()
    .slice(0, MAX_USER_AGENT);
  return ua === '' ? undefined : ua;
}

/**
 * The handset hint of a request's headers: x-wap-profile (else Profile) and User-Agent. Undefined when the
 * request says neither (nothing to remember).
 */
export function handsetHintOf(headers: IncomingHttpHeaders, now: number): HandsetHint | undefined {
  let profileUrl: string | undefined;
  for (const name of PROFILE_HEADERS) {
    profileUrl = profileUrlOf(headers[name]);
    if (profileUrl !== undefined) break;
  }
  const userAgent = userAgentOf(headers['user-agent']);
  if (profileUrl === undefined && userAgent === undefined) return undefined;
  return { ...(profileUrl !== undefined ? { profileUrl } : {}), ...(userAgent !== undefined ? { userAgent } : {}), at: now };
}

/** The first MAX_ENTRIES comma-separated entries, commas inside double quotes kept (a URL may hold one). */
function splitList(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length && out.length < MAX_ENTRIES; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x2c && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (out.length < MAX_ENTRIES) out.push(s.slice(start));
  return out;
}

/** An entry without its double quotes (a quoted entry must close); unquoted entries as they are. */
function unquote(entry: string): string | undefined {
  if (!entry.startsWith('"')) return entry;
  const end = entry.indexOf('"', 1);
  return end < 0 ? undefined : entry.slice(1, end).trim();
}
