import type { IncomingHttpHeaders } from 'node:http';

/** What a media server's answer says about keeping its body (RFC 9111). */
export interface CachePolicy {
  /** Whether it may be kept at all: not when `no-store` (§5.2.2.5), nor when it could never be reused. */
  store: boolean;
  /** How long it is fresh from now: reused without a request meanwhile; 0 = revalidated on every use. */
  freshForMs: number;
  /** Validators for a conditional request (RFC 9110 §8.8). */
  etag?: string;
  lastModified?: string;
}

/**
 * The caching policy of an answer: freshness from `s-maxage` (we are a shared cache, §5.2.2.10), else
 * `max-age` (§5.2.2.1), else Expires minus Date (§5.3), less Age (§4.2.3); `no-cache` (§5.2.2.4) or nothing
 * said: fresh for 0, so revalidated every time (no heuristic freshness, §4.2.2: the sender's URL decides).
 * Kept only when it can be reused: fresh for a while, or with a validator to revalidate it by.
 */
export function cachePolicy(headers: IncomingHttpHeaders, now: number): CachePolicy {
  const directives = cacheControl(headers['cache-control']);
  const etag = headers.etag;
  const lastModified = headers['last-modified'];
  let freshForMs = 0;
  if (!directives.has('no-cache')) {
    const maxAge = seconds(directives.get('s-maxage')) ?? seconds(directives.get('max-age'));
    if (maxAge !== undefined) freshForMs = maxAge * 1_000;
    else if (headers.expires !== undefined) {
      const expires = Date.parse(headers.expires);
      const date = headers.date !== undefined ? Date.parse(headers.date) : now;
      // An invalid Expires (e.g. "0") means already expired (§5.3).
      if (Number.isFinite(expires)) freshForMs = Math.max(0, expires - (Number.isFinite(date) ? date : now));
    }
    freshForMs = Math.max(0, freshForMs - (seconds(headerText(headers.age)) ?? 0) * 1_000);
  }
  const policy: CachePolicy = {
    store: !directives.has('no-store') && (freshForMs > 0 || etag !== undefined || lastModified !== undefined),
    freshForMs,
  };
  if (etag !== undefined) policy.etag = etag;
  if (lastModified !== undefined) policy.lastModified = lastModified;
  return policy;
}

/** Cache-Control directives, names in lower case -> their value ('' when none; §5.2). */
function cacheControl(value: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',')) {
    const [name, ...rest] = part.split('=');
    const n = name?.trim().toLowerCase();
    if (n)
      out.set(
        n,
        rest
          .join('=')
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
  }
  return out;
}

/** A delta-seconds value (§1.2.2), or undefined when it is not one. */
function seconds(v: string | undefined): number | undefined {
  return v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : undefined;
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
