/**
 * How a SMIL `src` names a part of its message (OMA-MMS-CONF v1.2, "MMS SMIL"; RFC 2557 for Content-Location, RFC 2392 for cid:): `cid:<id>`
 * names the part whose Content-ID is `<id>` (percent-decoded, the brackets of the header left out); any other
 * value names the part whose Content-Location is the same (compared as written, then with a leading `./`
 * dropped and case-insensitively: handsets differ).
 */
export interface RefTarget {
  contentId?: string;
  contentLocation?: string;
}

function bare(id: string): string {
  const t = id.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The index in `parts` that `src` names, or undefined. */
export function resolveRef(src: string, parts: readonly RefTarget[]): number | undefined {
  const s = src.trim();
  if (/^cid:/i.test(s)) {
    const id = decode(s.slice(4));
    const k = parts.findIndex((p) => p.contentId !== undefined && bare(p.contentId) === id);
    return k >= 0 ? k : undefined;
  }
  const norm = (v: string) => decode(v.replace(/^\.\//, '')).toLowerCase();
  let k = parts.findIndex((p) => p.contentLocation === s);
  if (k < 0) k = parts.findIndex((p) => p.contentLocation !== undefined && norm(p.contentLocation) === norm(s));
  if (k < 0) {
    // Some composers write a Content-ID without `cid:` (RFC 2557 does not allow it; handsets do it).
    k = parts.findIndex((p) => p.contentId !== undefined && bare(p.contentId) === s);
  }
  return k >= 0 ? k : undefined;
}

/** The src to write for a part: `cid:` when it has a Content-ID, else its Content-Location. */
export function refFor(p: RefTarget): string | undefined {
  if (p.contentId !== undefined && bare(p.contentId) !== '') return `cid:${encodeURI(bare(p.contentId))}`;
  return p.contentLocation;
}
