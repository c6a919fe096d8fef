import { createHash } from 'node:crypto';

/** What decided a recipient's capabilities (issue 25's resolution order: the first that knows, bounded by the route). */
export type CapabilitySource = 'route' | 'uaprof' | 'user-agent' | 'default';

/**
 * What a recipient can be sent: the handset's limits (UAProf, a User-Agent class, or the default) bounded by
 * the carrier or route cap. Plain JSON: it is logged and kept with adapted content.
 */
export interface Capabilities {
  /** Largest message, in bytes (the content: parts and SMIL). */
  maxMessageBytes: number;
  maxImageWidth: number;
  maxImageHeight: number;
  /** Media types taken: `type/subtype` or `type/*`, lower case. */
  contentTypes: readonly string[];
  /** Charsets the handset takes for text (UAProf MmsCcppAcceptCharSet); unset = UTF-8 assumed. */
  charsets?: readonly string[];
  /** MMS versions the handset speaks (UAProf MmsVersion), e.g. ['1.2']. */
  mmsVersions?: readonly string[];
  /** The handset takes no MMS at all (a UAProf without MMS characteristics): the SMS fallback instead. */
  textOnly?: boolean;
  /** What decided the handset side of these limits. */
  source: CapabilitySource;
  /** The route cap lowered some limit. */
  routeCapped?: boolean;
}

/** Whether `type` (lower case, no parameters) is one of `types` (`type/subtype` or `type/*`). */
export function takesType(types: readonly string[], type: string): boolean {
  const t = type.toLowerCase();
  return types.some((x) => (x.endsWith('/*') ? t.startsWith(x.slice(0, -1)) : x === t));
}

/**
 * The capability class: recipients whose limits are equal share one adaptation of a message (issue 25:
 * "once per (content, capability class)"). Only what changes the adapted bytes is in it (not `source`).
 * A short stable id: 16 characters of base64url SHA-256 over the canonical form.
 */
export function capabilityClass(c: Capabilities): string {
  const canonical = JSON.stringify([
    c.maxMessageBytes,
    c.maxImageWidth,
    c.maxImageHeight,
    [...c.contentTypes].map((t) => t.toLowerCase()).sort(),
    c.charsets ? [...c.charsets].map((s) => s.toLowerCase()).sort() : null,
    c.textOnly === true,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
